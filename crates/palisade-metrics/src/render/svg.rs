//! Charts as inline SVG, written by hand: bars, stacked bars and lines over
//! categories, with axes, ticks, labels, a legend and a tooltip on every mark.

use std::fmt::Write as _;

use super::{Chart, ChartData, Kind, Unit, escape};

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 28.0;
const BOTTOM: f64 = 52.0;
/// At most this many x labels are written; the others are left to the table.
const MAX_X_LABELS: usize = 13;

/// The colour of the `i`th series: blue first for bars and lines; red to
/// blue for stacks, whose series come most severe first.
fn colour(kind: Kind, i: usize) -> &'static str {
    const LINES: [&str; 6] = [
        "#1d4ed8", "#c2410c", "#15803d", "#7c3aed", "#0e7490", "#64748b",
    ];
    const STACKS: [&str; 6] = [
        "#b91c1c", "#ea580c", "#eab308", "#60a5fa", "#94a3b8", "#7c3aed",
    ];
    match kind {
        Kind::Stacked => STACKS[i % STACKS.len()],
        Kind::Bars | Kind::Lines => LINES[i % LINES.len()],
    }
}

/// A tick step of 1, 2, 2.5 or 5 times a power of ten, giving about four ticks up to `max`.
fn step(max: f64, unit: Unit) -> f64 {
    let raw = max / 4.0;
    let mag = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    if unit == Unit::Count {
        step = step.max(1.0).round();
    }
    step
}

/// A tick's label: with as many decimals as the step needs, and durations in
/// the one unit the axis's top calls for.
pub(super) fn tick_label(unit: Unit, v: f64, step: f64, top: f64) -> String {
    let decimals = |x: f64| if (x - x.round()).abs() < 1e-9 { 0 } else { 1 };
    match unit {
        Unit::Count => format!("{v:.*}", decimals(step)),
        Unit::Ratio => format!("{:.*}%", decimals(step * 100.0), v * 100.0),
        Unit::Hours if top <= 1.0 => format!("{:.*} min", decimals(step * 60.0), v * 60.0),
        Unit::Hours if top <= 48.0 => format!("{v:.*} h", decimals(step)),
        Unit::Hours => format!("{:.*} d", decimals(step / 24.0), v / 24.0),
    }
}

/// Writes `chart` (which has `data`) as one `<svg>` element.
pub(super) fn chart(out: &mut String, chart: &Chart, data: &ChartData) {
    let id = escape(&chart.id);
    let title = escape(&chart.title);
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let floor = match chart.unit {
        Unit::Count | Unit::Hours => 1.0,
        Unit::Ratio => 0.1,
    };
    let max = chart.max(data).max(floor);
    let step = step(max, chart.unit);
    let top = (max / step).ceil() * step;
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let n = data.categories.len().max(1);
    let band = plot_w / n as f64;
    let x_mid = |i: usize| LEFT + band * (i as f64 + 0.5);

    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-label="{title}" aria-labelledby="{id}-t {id}-d" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="system-ui, sans-serif" font-size="11"><title id="{id}-t">{title}</title><desc id="{id}-d">{}</desc>"#,
        escape(&chart.description)
    );

    // Grid and y ticks.
    let mut v = 0.0;
    while v <= top + step / 2.0 {
        let ty = y(v);
        let _ = write!(
            out,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="#e2e8f0"/><text x="{:.1}" y="{:.1}" text-anchor="end" fill="#334155">{}</text>"##,
            LEFT + plot_w,
            LEFT - 6.0,
            ty + 4.0,
            escape(&tick_label(chart.unit, v, step, top))
        );
        v += step;
    }

    // A category with nothing to measure says so where its mark would be.
    for i in 0..data.categories.len() {
        if data
            .series
            .iter()
            .all(|s| s.values.get(i).is_none_or(|v| v.value().is_none()))
        {
            let _ = write!(
                out,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#64748b" font-style="italic">no data</text>"##,
                x_mid(i),
                TOP + plot_h - 8.0
            );
        }
    }

    // Marks.
    match chart.kind {
        Kind::Bars => {
            if let Some(s) = data.series.first() {
                for (i, value) in s.values.iter().enumerate() {
                    let Some(value) = value.value() else { continue };
                    let w = band * 0.7;
                    let (x0, y0) = (x_mid(i) - w / 2.0, y(*value));
                    let _ = write!(
                        out,
                        r#"<rect x="{x0:.1}" y="{y0:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                        TOP + plot_h - y0,
                        colour(Kind::Bars, 0),
                        escape(&data.categories[i]),
                        escape(&chart.unit.show(*value))
                    );
                }
            }
        }
        Kind::Stacked => {
            for i in 0..data.categories.len() {
                let mut base = 0.0;
                for (k, s) in data.series.iter().enumerate() {
                    let Some(value) = s.values.get(i).and_then(|v| v.value().copied()) else {
                        continue;
                    };
                    if value <= 0.0 {
                        continue;
                    }
                    let w = band * 0.7;
                    let (y_top, y_bottom) = (y(base + value), y(base));
                    let _ = write!(
                        out,
                        r#"<rect x="{:.1}" y="{y_top:.1}" width="{w:.1}" height="{:.1}" fill="{}"><title>{} {}: {}</title></rect>"#,
                        x_mid(i) - w / 2.0,
                        y_bottom - y_top,
                        colour(Kind::Stacked, k),
                        escape(&data.categories[i]),
                        escape(&s.name),
                        escape(&chart.unit.show(value))
                    );
                    base += value;
                }
            }
        }
        Kind::Lines => {
            for (k, s) in data.series.iter().enumerate() {
                let c = colour(Kind::Lines, k);
                let mut path = String::new();
                let mut pen_down = false;
                for (i, value) in s.values.iter().enumerate() {
                    match value.value() {
                        Some(value) => {
                            let _ = write!(
                                path,
                                "{}{:.1},{:.1} ",
                                if pen_down { "L" } else { "M" },
                                x_mid(i),
                                y(*value)
                            );
                            pen_down = true;
                        }
                        None => pen_down = false,
                    }
                }
                if !path.is_empty() {
                    let _ = write!(
                        out,
                        r#"<path d="{}" fill="none" stroke="{c}" stroke-width="2"/>"#,
                        path.trim_end()
                    );
                }
                for (i, value) in s.values.iter().enumerate() {
                    let Some(value) = value.value() else { continue };
                    let _ = write!(
                        out,
                        r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{c}"><title>{} {}: {}</title></circle>"#,
                        x_mid(i),
                        y(*value),
                        escape(&data.categories[i]),
                        escape(&s.name),
                        escape(&chart.unit.show(*value))
                    );
                }
            }
        }
    }

    // Axes, x labels and axis titles.
    let _ = write!(
        out,
        r##"<line x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{:.1}" stroke="#475569"/><line x1="{LEFT}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#475569"/>"##,
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        TOP + plot_h
    );
    // Thin the labels so that neither too many nor overlapping ones are written.
    let widest = data
        .categories
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let fit = ((widest as f64 * 6.5 + 8.0) / band).ceil() as usize;
    let every = data.categories.len().div_ceil(MAX_X_LABELS).max(fit).max(1);
    for (i, label) in data.categories.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let _ = write!(
            out,
            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#334155">{}</text>"##,
            x_mid(i),
            TOP + plot_h + 16.0,
            escape(label)
        );
    }
    let _ = write!(
        out,
        r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#0f172a" font-size="12">{}</text><text transform="translate(14 {:.1}) rotate(-90)" text-anchor="middle" fill="#0f172a" font-size="12">{}</text>"##,
        LEFT + plot_w / 2.0,
        HEIGHT - 10.0,
        escape(&chart.x_label),
        TOP + plot_h / 2.0,
        escape(&chart.y_label)
    );

    // Legend, when there is more than one series.
    if data.series.len() > 1 || chart.kind == Kind::Stacked {
        let mut x = LEFT;
        for (k, s) in data.series.iter().enumerate() {
            let _ = write!(
                out,
                r##"<rect x="{x:.1}" y="8" width="10" height="10" fill="{}"/><text x="{:.1}" y="17" fill="#0f172a">{}</text>"##,
                colour(chart.kind, k),
                x + 14.0,
                escape(&s.name)
            );
            x += 24.0 + 7.0 * s.name.chars().count() as f64;
        }
    }
    out.push_str("</svg>");
}
