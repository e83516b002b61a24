//! Hand-written SVG charts of results: latency percentiles (log scale) and
//! deliveries per second, one group per result, so runs of different
//! scenarios or servers sit side by side without a plotting dependency.

use crate::cli::ChartArgs;
use crate::report::Report;
use std::fmt::Write;
use std::process::ExitCode;

const COLORS: [&str; 5] = ["#4e79a7", "#59a14f", "#f28e2b", "#e15759", "#76448a"];
const NAMES: [&str; 5] = ["p50", "p90", "p99", "p99.9", "max"];
const PANEL_H: f64 = 220.0;
const LEFT: f64 = 70.0;
const GROUP_W: f64 = 130.0;

/// Entry point of `lattestream-bench chart`.
pub fn run(a: &ChartArgs) -> ExitCode {
    let reports = crate::report::load(&a.inputs);
    if reports.is_empty() {
        eprintln!("no results to chart");
        return ExitCode::FAILURE;
    }
    match std::fs::write(&a.out, render(&a.title, &reports)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("writing {}: {e}", a.out.display());
            ExitCode::FAILURE
        }
    }
}

/// Renders the two panels for `reports` as an SVG document.
pub fn render(title: &str, reports: &[Report]) -> String {
    let width = LEFT + 20.0 + GROUP_W * reports.len() as f64;
    let height = 2.0 * PANEL_H + 200.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let _ = writeln!(
        s,
        r#"<text x="{LEFT}" y="20" font-size="15">{}</text>"#,
        esc(title)
    );
    latency_panel(&mut s, reports, 40.0);
    throughput_panel(&mut s, reports, 40.0 + PANEL_H + 75.0);
    legend(&mut s, height - 20.0);
    s.push_str("</svg>\n");
    s
}

/// Log-scale bars of p50 … max latency in milliseconds.
fn latency_panel(s: &mut String, reports: &[Report], top: f64) {
    let values: Vec<[u64; 5]> = reports
        .iter()
        .map(|r| [r.p50_us, r.p90_us, r.p99_us, r.p999_us, r.max_us])
        .collect();
    let max = values.iter().flatten().copied().max().unwrap_or(1).max(10);
    let (lo, hi) = (1.0, (max as f64).log10().ceil().max(2.0)); // 10 µs .. max
    axis(s, top, "latency (ms, log)", lo, hi, |e| {
        fmt_ms(10f64.powf(e))
    });
    for (g, vals) in values.iter().enumerate() {
        let x0 = LEFT + 10.0 + GROUP_W * g as f64;
        for (k, &v) in vals.iter().enumerate() {
            let h = scale(((v.max(10)) as f64).log10(), lo, hi);
            let x = x0 + 20.0 * k as f64;
            let y = top + PANEL_H - h;
            let _ = writeln!(
                s,
                r#"<rect x="{x}" y="{y:.1}" width="18" height="{h:.1}" fill="{}"><title>{} {}</title></rect>"#,
                COLORS[k],
                NAMES[k],
                fmt_ms(v as f64)
            );
        }
        group_label(s, &reports[g], x0, top + PANEL_H + 14.0);
    }
}

/// Log-scale bars of deliveries per second, with the value written on top.
fn throughput_panel(s: &mut String, reports: &[Report], top: f64) {
    let max = reports
        .iter()
        .map(|r| r.deliveries_per_sec)
        .fold(10.0, f64::max);
    let (lo, hi) = (0.0, max.log10().ceil().max(1.0));
    axis(s, top, "deliveries/s (log)", lo, hi, |e| {
        format!("{:.0}", 10f64.powf(e))
    });
    for (g, r) in reports.iter().enumerate() {
        let x0 = LEFT + 10.0 + GROUP_W * g as f64;
        let h = scale(r.deliveries_per_sec.max(1.0).log10(), lo, hi);
        let y = top + PANEL_H - h;
        let _ = writeln!(
            s,
            "<rect x=\"{x0}\" y=\"{y:.1}\" width=\"98\" height=\"{h:.1}\" fill=\"#9c755f\"/>"
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{:.0}/s</text>"#,
            x0 + 49.0,
            y - 4.0,
            r.deliveries_per_sec
        );
        group_label(s, r, x0, top + PANEL_H + 14.0);
    }
}

/// Draws the y axis with one gridline per decade.
fn axis(s: &mut String, top: f64, title: &str, lo: f64, hi: f64, label: impl Fn(f64) -> String) {
    let _ = writeln!(
        s,
        r#"<text x="10" y="{:.1}" transform="rotate(-90 10 {:.1})">{}</text>"#,
        top + PANEL_H / 2.0 + 40.0,
        top + PANEL_H / 2.0 + 40.0,
        esc(title)
    );
    let mut e = lo;
    while e <= hi + 1e-9 {
        let y = top + PANEL_H - scale(e, lo, hi);
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" x2=\"100%\" y1=\"{y:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            LEFT - 4.0,
            y + 4.0,
            label(e)
        );
        e += 1.0;
    }
}

/// Three-line label under a group: run name, server, size.
fn group_label(s: &mut String, r: &Report, x: f64, y: f64) {
    let _ = writeln!(
        s,
        r##"<text x="{x}" y="{y}">{}</text><text x="{x}" y="{:.1}">{}</text><text x="{x}" y="{:.1}" fill="#555">{} conns, {} ch</text>"##,
        esc(&r.name),
        y + 13.0,
        esc(&r.label),
        y + 26.0,
        r.connections,
        r.channels
    );
}

/// The percentile colour legend.
fn legend(s: &mut String, y: f64) {
    for (k, name) in NAMES.iter().enumerate() {
        let x = LEFT + 70.0 * k as f64;
        let _ = writeln!(
            s,
            r#"<rect x="{x}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{y}">{name}</text>"#,
            y - 10.0,
            COLORS[k],
            x + 16.0
        );
    }
}

/// Maps a log value onto the panel height.
fn scale(v: f64, lo: f64, hi: f64) -> f64 {
    ((v - lo) / (hi - lo).max(1e-9)).clamp(0.0, 1.0) * PANEL_H
}

fn fmt_ms(us: f64) -> String {
    let ms = us / 1000.0;
    if ms >= 1.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
