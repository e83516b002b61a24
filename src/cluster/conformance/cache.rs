//! The [`ChannelCache`] contract.

use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{app, channel};
use crate::cluster::ChannelCache;
use crate::hub::CACHE_TTL;
use crate::protocol::{Event, Payload};

/// Builds a fresh, empty cache (each call a new cluster).
pub type Factory = dyn Fn() -> BoxFuture<'static, Arc<dyn ChannelCache>>;

fn event(channel_name: &str, data: &str) -> Event {
    Event {
        name: "news".into(),
        channel: channel(channel_name),
        data: Payload::Text(data.into()),
        user_id: None,
    }
}

fn text(e: &Event) -> &str {
    match &e.data {
        Payload::Text(t) => t,
        Payload::Json(raw) => raw.get(),
    }
}

/// Runs every contract check against caches made by `new`.
pub async fn run(new: impl Fn() -> BoxFuture<'static, Arc<dyn ChannelCache>> + 'static) {
    let new: &Factory = &new;
    let cache = new().await;
    let (a, b) = (app("201"), app("202"));
    assert!(
        cache
            .last(&a, &channel("cache-news"))
            .await
            .unwrap()
            .is_none()
    );
    cache
        .remember(&a, &event("cache-news", "one"))
        .await
        .unwrap();
    cache
        .remember(&a, &event("cache-news", "two"))
        .await
        .unwrap();
    cache.remember(&a, &event("plain", "x")).await.unwrap();
    let (last, left) = cache
        .last(&a, &channel("cache-news"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (last.name.as_str(), text(&last)),
        ("news", "two"),
        "the latest replaces"
    );
    assert!(left <= CACHE_TTL && left > CACHE_TTL / 2, "{left:?}");
    assert!(
        cache.last(&a, &channel("plain")).await.unwrap().is_none(),
        "only cache channels"
    );
    assert!(
        cache
            .last(&b, &channel("cache-news"))
            .await
            .unwrap()
            .is_none(),
        "apps apart"
    );
}
