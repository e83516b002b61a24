//! Changing an app's settings by name, for `lattestream apps set ID path=value` and the admin API's
//! `PATCH`. Setting paths are derived from the settings' own serde form (`client_events`,
//! `rate_limits.events.per_minute`, `webhooks`…), so a setting added to [`AppSettings`] is settable the
//! moment it exists, with no list to keep up to date here.

use serde_json::Value;

use super::AppSettings;

/// Why a setting change was refused; nothing is changed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SettingError {
    /// The path names no setting.
    #[error("unknown setting `{0}`")]
    Unknown(String),
    /// The value does not fit the setting (wrong type, out of range, malformed).
    #[error("{path}: {reason}")]
    Invalid {
        /// The setting.
        path: String,
        /// What the settings' own parser said.
        reason: String,
    },
}

/// `settings` with the setting at the dotted `path` set to `raw`. `raw` is read as JSON when it parses
/// (`true`, `100`, `[{"url": "…"}]`, `null`), and as a plain string otherwise (`1h`, `https://…`); a JSON
/// value the setting refuses is tried once more as a string, so `name=123` works for a text setting.
pub fn set_setting(
    settings: &AppSettings,
    path: &str,
    raw: &str,
) -> Result<AppSettings, SettingError> {
    let parsed = serde_json::from_str::<Value>(raw).ok();
    let first = parsed
        .clone()
        .unwrap_or_else(|| Value::String(raw.to_owned()));
    match set_value(settings, path, first) {
        Err(SettingError::Invalid { .. }) if parsed.as_ref().is_some_and(|v| !v.is_string()) => {
            set_value(settings, path, Value::String(raw.to_owned()))
        }
        result => result,
    }
}

/// `settings` with the JSON merge patch (RFC 7396) `patch` applied: objects merge key by key, `null`
/// resets a setting to its default, anything else replaces.
pub fn merge_settings(settings: &AppSettings, patch: &Value) -> Result<AppSettings, SettingError> {
    if !(patch.is_object() || patch.is_null()) {
        let reason = "expected an object of settings".to_owned();
        return Err(SettingError::Invalid {
            path: "settings".into(),
            reason,
        });
    }
    let mut tree = to_tree(settings);
    let defaults = to_tree(&AppSettings::default());
    merge(&mut tree, patch, &defaults);
    let merged = from_tree(tree, "")?;
    for path in leaf_paths(patch, String::new()) {
        check_known(&merged, &path)?;
    }
    Ok(merged)
}

fn set_value(
    settings: &AppSettings,
    path: &str,
    value: Value,
) -> Result<AppSettings, SettingError> {
    let mut tree = to_tree(settings);
    let mut node = &mut tree;
    let segments: Vec<&str> = path.split('.').collect();
    if segments.iter().any(|s| s.is_empty()) {
        return Err(SettingError::Unknown(path.to_owned()));
    }
    for segment in &segments[..segments.len() - 1] {
        if !node.is_object() {
            return Err(SettingError::Unknown(path.to_owned()));
        }
        node = node
            .as_object_mut()
            .expect("checked")
            .entry(*segment)
            .or_insert_with(|| Value::Object(Default::default()));
        if node.is_null() {
            *node = Value::Object(Default::default());
        }
    }
    let last = segments[segments.len() - 1];
    let object = node
        .as_object_mut()
        .ok_or_else(|| SettingError::Unknown(path.to_owned()))?;
    object.insert(last.to_owned(), value);
    let changed = from_tree(tree, path)?;
    check_known(&changed, path)?;
    Ok(changed)
}

fn to_tree(settings: &AppSettings) -> Value {
    serde_json::to_value(settings).expect("settings serialise")
}

fn from_tree(tree: Value, path: &str) -> Result<AppSettings, SettingError> {
    serde_json::from_value(tree).map_err(|e| {
        let reason = e.to_string();
        match reason.strip_prefix("unknown field `") {
            Some(rest) if path.is_empty() => {
                SettingError::Unknown(rest.split('`').next().unwrap_or(rest).to_owned())
            }
            Some(_) => SettingError::Unknown(path.to_owned()),
            None => SettingError::Invalid {
                path: if path.is_empty() {
                    "settings".into()
                } else {
                    path.to_owned()
                },
                reason,
            },
        }
    })
}

/// A nested struct that does not refuse unknown fields would drop a misspelt key silently: the path
/// must still be there once the settings are written out again. A top-level name needs no check
/// (`AppSettings` refuses unknown fields, and a setting that skips its default when written, such as an
/// empty list, may rightly be absent).
fn check_known(settings: &AppSettings, path: &str) -> Result<(), SettingError> {
    if !path.contains('.') {
        return Ok(());
    }
    let tree = to_tree(settings);
    let found = path
        .split('.')
        .try_fold(&tree, |node, segment| node.get(segment));
    match found {
        Some(_) => Ok(()),
        None => Err(SettingError::Unknown(path.to_owned())),
    }
}

fn merge(target: &mut Value, patch: &Value, defaults: &Value) {
    let (Some(target), Some(patch)) = (target.as_object_mut(), patch.as_object()) else {
        return;
    };
    for (key, value) in patch {
        let default = defaults.get(key).cloned().unwrap_or(Value::Null);
        match value {
            Value::Null => drop(target.insert(key.clone(), default)),
            Value::Object(_) if target.get(key).is_some_and(Value::is_object) => {
                merge(target.get_mut(key).expect("checked"), value, &default)
            }
            _ => drop(target.insert(key.clone(), value.clone())),
        }
    }
}

/// The dotted paths a merge patch sets (objects are walked, anything else is a leaf).
fn leaf_paths(patch: &Value, prefix: String) -> Vec<String> {
    match patch.as_object() {
        Some(object) if !object.is_empty() => object
            .iter()
            .flat_map(|(k, v)| {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                leaf_paths(v, path)
            })
            .collect(),
        _ if prefix.is_empty() => Vec::new(),
        _ => vec![prefix],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_numbers_and_nested_limits_are_set_by_path() {
        let s = AppSettings::default();
        assert!(
            set_setting(&s, "client_events", "true")
                .unwrap()
                .client_events
        );
        let s = set_setting(&s, "rate_limits.events.per_minute", "100").unwrap();
        assert_eq!(s.rate_limits.events.per_minute, 100);
        let s = set_setting(&s, "max_connections", "5").unwrap();
        assert_eq!(s.max_connections, Some(5));
        assert_eq!(
            set_setting(&s, "max_connections", "null")
                .unwrap()
                .max_connections,
            None
        );
    }

    #[test]
    fn unknown_paths_and_bad_values_are_refused() {
        let s = AppSettings::default();
        assert_eq!(
            set_setting(&s, "client_evnts", "true"),
            Err(SettingError::Unknown("client_evnts".into()))
        );
        assert!(matches!(
            set_setting(&s, "rate_limits.events.per_mnute", "1"),
            Err(SettingError::Unknown(_))
        ));
        assert!(matches!(
            set_setting(&s, "client_events", "maybe"),
            Err(SettingError::Invalid { .. })
        ));
        assert!(matches!(
            set_setting(&s, "client_events.x", "1"),
            Err(SettingError::Unknown(_))
        ));
        assert!(matches!(
            set_setting(&s, "", "1"),
            Err(SettingError::Unknown(_))
        ));
    }

    #[test]
    fn a_merge_patch_changes_what_it_names_and_null_restores_the_default() {
        let s = set_setting(&AppSettings::default(), "max_batch_events", "3").unwrap();
        let patch = serde_json::json!({"client_events": true, "max_batch_events": null,
            "rate_limits": {"events": {"per_second": 7}}});
        let merged = merge_settings(&s, &patch).unwrap();
        assert!(merged.client_events);
        assert_eq!(
            merged.max_batch_events,
            AppSettings::default().max_batch_events
        );
        assert_eq!(merged.rate_limits.events.per_second, 7);
        assert_eq!(merged.rate_limits.events.per_minute, 1000);
        let bad = serde_json::json!({"nope": 1});
        assert_eq!(
            merge_settings(&s, &bad),
            Err(SettingError::Unknown("nope".into()))
        );
    }
}
