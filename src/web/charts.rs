//! Charts drawn on the server: the geometry of an SVG bar or line chart (axis, ticks,
//! legend, one `<title>` tooltip per bar or point), rendered by
//! `templates/reports/_chart.html`, which escapes every label. Readable without
//! JavaScript and printable; the table under each chart carries the same numbers.

/// How a chart's values read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Count,
    Seconds,
}

use crate::i18n::L10n;

/// One series: a name for the legend, a CSS class for its colour, a value per row.
pub struct Series {
    pub name: String,
    pub class: &'static str,
    pub values: Vec<Option<u32>>,
}

/// A chart's shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Bars,
    Lines,
}

pub struct Tick {
    pub at: f32,
    pub label: String,
}

pub struct LegendItem {
    pub x: f32,
    pub class: &'static str,
    pub name: String,
}

pub struct Bar {
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    pub class: &'static str,
    pub tip: String,
}

pub struct Line {
    pub class: &'static str,
    pub points: String,
}

pub struct Dot {
    pub x: f32,
    pub y: f32,
    pub class: &'static str,
    pub tip: String,
}

/// Everything the template draws.
pub struct Chart {
    /// Unique in the page (the section's id and the frame's name).
    pub id: String,
    /// `wide` or `narrow`: the stylesheet shows one of them.
    pub frame: &'static str,
    pub title: String,
    pub width: u32,
    pub height: u32,
    /// The plot area: left, top, right, bottom.
    pub x0: f32,
    pub y0: f32,
    pub x1: f32,
    pub y1: f32,
    /// Where x labels sit.
    pub label_y: f32,
    pub y_ticks: Vec<Tick>,
    pub x_labels: Vec<Tick>,
    pub legend: Vec<LegendItem>,
    pub bars: Vec<Bar>,
    pub lines: Vec<Line>,
    pub dots: Vec<Dot>,
    /// Nothing to draw (every value empty or zero).
    pub empty: bool,
}

/// The size a chart is drawn at. Both are drawn and the stylesheet shows the one that
/// fits the screen, so text stays readable on a phone without scaling it down.
#[derive(Clone, Copy, Debug)]
pub struct Frame {
    pub name: &'static str,
    width: f32,
    height: f32,
    x0: f32,
    x1: f32,
    y0: f32,
    y1: f32,
    /// Beyond this many rows, only every n-th x label is written.
    max_x_labels: usize,
}

/// For screens wider than a phone.
pub const WIDE: Frame = Frame {
    name: "wide",
    width: 720.0,
    height: 260.0,
    x0: 64.0,
    x1: 708.0,
    y0: 36.0,
    y1: 220.0,
    max_x_labels: 12,
};

/// For phones.
pub const NARROW: Frame = Frame {
    name: "narrow",
    width: 360.0,
    height: 240.0,
    x0: 48.0,
    x1: 352.0,
    y0: 36.0,
    y1: 204.0,
    max_x_labels: 5,
};

fn round1(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}

/// A number of a unit, in the reader's language: "45 s", "12 min", "2 d".
fn amount(l: &L10n, n: u32, unit: Unit) -> String {
    let unit = l.t(match unit {
        Unit::S => "report-unit-s",
        Unit::Min => "report-unit-min",
        Unit::H => "report-unit-h",
        Unit::D => "report-unit-d",
    });
    format!("{} {unit}", l.number(i64::from(n)))
}

#[derive(Clone, Copy)]
enum Unit {
    S,
    Min,
    H,
    D,
}

/// A duration the way a table shows it: "45 s", "12 min 30 s", "3 h 5 min", "2 d 4 h".
pub fn duration_text(l: &L10n, s: u32) -> String {
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    let a = |n, u| amount(l, n, u);
    match s {
        0..60 => a(s, Unit::S),
        60..3600 if sec == 0 => a(m, Unit::Min),
        60..3600 => format!("{} {}", a(m, Unit::Min), a(sec, Unit::S)),
        3600..86_400 if m == 0 => a(h, Unit::H),
        3600..86_400 => format!("{} {}", a(s / 3600, Unit::H), a(m, Unit::Min)),
        _ if h == 0 => a(d, Unit::D),
        _ => format!("{} {}", a(d, Unit::D), a(h, Unit::H)),
    }
}

/// A tick's duration in the unit of the step between ticks (0, 12 h, 24 h, 36 h).
fn tick_duration(l: &L10n, s: u32, step: u32) -> String {
    match s {
        0 => "0".into(),
        _ if step.is_multiple_of(86_400) => amount(l, s / 86_400, Unit::D),
        _ if step.is_multiple_of(3600) => amount(l, s / 3600, Unit::H),
        _ if step.is_multiple_of(60) => amount(l, s / 60, Unit::Min),
        _ => amount(l, s, Unit::S),
    }
}

fn value_text(l: &L10n, v: u32, scale: Scale) -> String {
    match scale {
        Scale::Count => l.number(i64::from(v)),
        Scale::Seconds => duration_text(l, v),
    }
}

/// The tick step: the smallest "round" step that covers `max` in at most five steps.
fn step_for(max: u32, scale: Scale) -> u32 {
    const TIMES: [u32; 22] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
        86_400, 172_800, 432_000, 864_000, 2_592_000,
    ];
    let fits = |s: u32| max.div_ceil(s) <= 5;
    match scale {
        Scale::Seconds => TIMES
            .into_iter()
            .find(|&s| fits(s))
            .unwrap_or_else(|| max.div_ceil(5).max(1)),
        Scale::Count => {
            let mut base = 1u32;
            loop {
                for m in [1, 2, 5] {
                    let s = base.saturating_mul(m);
                    if fits(s) || s == u32::MAX {
                        return s;
                    }
                }
                base = base.saturating_mul(10);
            }
        }
    }
}

/// Shortens a label for the x axis.
fn short(label: &str) -> String {
    if label.chars().count() <= 12 {
        label.to_string()
    } else {
        label.chars().take(11).collect::<String>() + "…"
    }
}

/// A chart of `series` over rows labelled `labels` (long labels go in tooltips, short
/// ones on the axis).
#[allow(clippy::too_many_arguments)]
pub fn chart(
    l: &L10n,
    frame: Frame,
    id: &str,
    title: &str,
    kind: Kind,
    scale: Scale,
    labels: &[(String, String)],
    series: &[Series],
) -> Chart {
    let n = labels.len().max(1);
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().flatten())
        .copied()
        .max()
        .unwrap_or(0);
    let step = step_for(max.max(1), scale);
    let top = max.max(1).div_ceil(step) * step;
    let Frame { x0, x1, y0, y1, .. } = frame;
    let y_of = |v: u32| round1(y1 - (v as f32 / top as f32) * (y1 - y0));
    let group = (x1 - x0) / n as f32;
    let center = |i: usize| x0 + group * (i as f32 + 0.5);
    let y_ticks = (0..=top / step)
        .map(|k| Tick {
            at: y_of(k * step),
            label: match scale {
                Scale::Count => l.number(i64::from(k * step)),
                Scale::Seconds => tick_duration(l, k * step, step),
            },
        })
        .collect();
    let every = n.div_ceil(frame.max_x_labels);
    let x_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, (_, s))| Tick {
            at: round1(center(i)),
            label: short(s),
        })
        .collect();
    // Each legend entry as wide as its name (about 6.5 units a character at 12 px).
    let mut at = x0;
    let legend = series
        .iter()
        .map(|s| {
            let item = LegendItem {
                x: at,
                class: s.class,
                name: s.name.clone(),
            };
            at += 32.0 + 6.5 * s.name.chars().count() as f32;
            item
        })
        .collect();
    let tip = |i: usize, s: &Series, v: u32| {
        let row = labels.get(i).map(|(l, _)| l.as_str()).unwrap_or("");
        format!("{row} — {}: {}", s.name, value_text(l, v, scale))
    };
    let (mut bars, mut lines, mut dots) = (vec![], vec![], vec![]);
    match kind {
        Kind::Bars => {
            let inner = (group * 0.8).min(28.0 * series.len() as f32);
            let w = inner / series.len().max(1) as f32;
            for (j, s) in series.iter().enumerate() {
                for (i, v) in s.values.iter().enumerate() {
                    let Some(v) = v.filter(|v| *v > 0) else {
                        continue;
                    };
                    let y = y_of(v);
                    bars.push(Bar {
                        x: round1(center(i) - inner / 2.0 + w * j as f32),
                        y,
                        w: round1((w - 1.0).max(0.5)),
                        h: round1(y1 - y),
                        class: s.class,
                        tip: tip(i, s, v),
                    });
                }
            }
        }
        Kind::Lines => {
            for s in series {
                let mut run: Vec<String> = vec![];
                for (i, v) in s.values.iter().enumerate() {
                    match v {
                        Some(v) => {
                            let (x, y) = (round1(center(i)), y_of(*v));
                            run.push(format!("{x},{y}"));
                            dots.push(Dot {
                                x,
                                y,
                                class: s.class,
                                tip: tip(i, s, *v),
                            });
                        }
                        // A row without values breaks the line.
                        None => flush(&mut run, &mut lines, s.class),
                    }
                }
                flush(&mut run, &mut lines, s.class);
            }
        }
    }
    Chart {
        id: format!("{id}-{}", frame.name),
        frame: frame.name,
        title: title.to_string(),
        width: frame.width as u32,
        height: frame.height as u32,
        x0,
        y0,
        x1,
        y1,
        label_y: y1 + 18.0,
        y_ticks,
        x_labels,
        legend,
        empty: bars.is_empty() && dots.is_empty(),
        bars,
        lines,
        dots,
    }
}

fn flush(run: &mut Vec<String>, lines: &mut Vec<Line>, class: &'static str) {
    if run.len() > 1 {
        lines.push(Line {
            class,
            points: run.join(" "),
        });
    }
    run.clear();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;

    fn en() -> L10n {
        L10n::english()
    }

    #[test]
    fn durations_and_counts_in_spanish() {
        let es = L10n::new(Lang::Es, "UTC");
        assert_eq!(duration_text(&es, 187_200), "2 d 4 h");
        assert_eq!(value_text(&es, 12_345, Scale::Count), "12.345");
        assert_eq!(value_text(&en(), 12_345, Scale::Count), "12,345");
    }

    fn labels(n: usize) -> Vec<(String, String)> {
        (0..n)
            .map(|i| (format!("Row {i}"), format!("R{i}")))
            .collect()
    }

    #[test]
    fn durations_read_in_their_largest_units() {
        let cases = [
            (0, "0 s"),
            (45, "45 s"),
            (60, "1 min"),
            (750, "12 min 30 s"),
            (3600, "1 h"),
            (11_100, "3 h 5 min"),
            (86_400, "1 d"),
            (187_200, "2 d 4 h"),
        ];
        for (s, want) in cases {
            assert_eq!(duration_text(&en(), s), want, "{s}");
        }
        assert_eq!(tick_duration(&en(), 5400, 1800), "90 min");
        assert_eq!(tick_duration(&en(), 129_600, 43_200), "36 h");
        assert_eq!(tick_duration(&en(), 172_800, 86_400), "2 d");
    }

    #[test]
    fn ticks_are_round_and_cover_the_largest_value() {
        assert_eq!(step_for(7, Scale::Count), 2);
        assert_eq!(step_for(10, Scale::Count), 2);
        assert_eq!(step_for(11, Scale::Count), 5);
        assert_eq!(step_for(4_300, Scale::Count), 1000);
        assert_eq!(step_for(90, Scale::Seconds), 30);
        assert_eq!(step_for(4_000, Scale::Seconds), 900);
        assert_eq!(step_for(200_000, Scale::Seconds), 43_200);
        let c = chart(
            &en(),
            WIDE,
            "c",
            "T",
            Kind::Bars,
            Scale::Count,
            &labels(2),
            &[Series {
                name: "Opened".into(),
                class: "s1",
                values: vec![Some(7), Some(0)],
            }],
        );
        let ticks: Vec<&str> = c.y_ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(ticks, ["0", "2", "4", "6", "8"]);
        assert_eq!((c.y_ticks[0].at, c.y_ticks[4].at), (c.y1, c.y0));
        assert_eq!(c.id, "c-wide");
        assert_eq!(c.bars.len(), 1, "a zero draws no bar");
        let b = &c.bars[0];
        assert!(
            (b.y + b.h - c.y1).abs() < 0.2 && b.y > c.y0,
            "stands on the axis"
        );
        assert_eq!(b.tip, "Row 0 — Opened: 7");
        assert!(!c.empty);
    }

    #[test]
    fn lines_break_where_a_row_has_no_value() {
        let c = chart(
            &en(),
            NARROW,
            "c",
            "T",
            Kind::Lines,
            Scale::Seconds,
            &labels(5),
            &[Series {
                name: "Median".into(),
                class: "s1",
                values: vec![Some(60), Some(120), None, Some(30), Some(45)],
            }],
        );
        assert_eq!(c.lines.len(), 2);
        assert_eq!(c.dots.len(), 4);
        assert_eq!(c.dots[1].tip, "Row 1 — Median: 2 min");
        let empty = chart(
            &en(),
            WIDE,
            "e",
            "T",
            Kind::Lines,
            Scale::Seconds,
            &labels(3),
            &[Series {
                name: "Median".into(),
                class: "s1",
                values: vec![None; 3],
            }],
        );
        assert!(empty.empty);
    }

    #[test]
    fn many_rows_label_every_nth_and_shorten_names() {
        let c = chart(
            &en(),
            WIDE,
            "c",
            "T",
            Kind::Bars,
            Scale::Count,
            &labels(90),
            &[],
        );
        assert_eq!(c.x_labels.len(), 12);
        let c = chart(
            &en(),
            NARROW,
            "c",
            "T",
            Kind::Bars,
            Scale::Count,
            &labels(90),
            &[],
        );
        assert_eq!(c.x_labels.len(), 5);
        assert!(c.x_labels.windows(2).all(|w| w[0].at < w[1].at));
        let long = vec![(
            "Customer support Spain".to_string(),
            "Customer support Spain".to_string(),
        )];
        let c = chart(&en(), WIDE, "c", "T", Kind::Bars, Scale::Count, &long, &[]);
        assert_eq!(c.x_labels[0].label, "Customer su…");
    }
}
