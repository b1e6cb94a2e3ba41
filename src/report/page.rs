//! The one page shell of every HTML page the tool writes (report.html, plan.html,
//! calibration.html, compare.html): the document head with the one stylesheet
//! ([`STYLE`]) inlined, a header with the page's heading, the body, and a footer.
//! Pages are self-contained (nothing is fetched, no script), so they can be emailed
//! and printed; maud escapes every value interpolated into them.

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The stylesheet of every report page: readable on screen down to a 390 px phone
/// (tables and charts scroll inside their own box), A4 when printed, system fonts
/// only.
pub const STYLE: &str = include_str!("style.css");

/// What frames a page's body.
#[derive(Debug, Clone)]
pub struct Shell<'a> {
    /// The document's title (`<title>`).
    pub title: &'a str,
    /// The page's heading (`<h1>`).
    pub heading: &'a str,
    /// What the header shows under the heading (a lede, a line of facts).
    pub header: Markup,
    /// The footer's content; none for an empty footer.
    pub footer: Option<Markup>,
}

/// A complete HTML document: the shell around `body`.
pub fn render(shell: &Shell<'_>, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (shell.title) }
                style { (PreEscaped(STYLE)) }
            }
            body {
                header {
                    h1 { (shell.heading) }
                    (shell.header)
                }
                (body)
                @if let Some(f) = &shell.footer {
                    footer { (f) }
                }
            }
        }
    }
    .into_string()
}

/// An SVG chart marked for the page: `class="chart"` and `data-chart` naming its
/// file. The SVG is trusted markup: it comes from [`super::charts`], which escapes
/// every text it draws.
pub fn embed(svg: &str, name: &str) -> Markup {
    match svg.strip_prefix("<svg ") {
        Some(rest) => html! {
            (PreEscaped("<svg class=\"chart\" data-chart=\""))
            (name)
            (PreEscaped("\" role=\"img\" "))
            (PreEscaped(rest))
        },
        None => PreEscaped(svg.to_string()),
    }
}

/// Collects charts as they are placed in a page, numbering the figures.
#[derive(Debug, Default)]
pub struct Figures {
    files: Vec<(String, Vec<u8>)>,
}

impl Figures {
    /// A figure: the chart inline with a numbered caption; the chart is kept as the
    /// file `<name>.svg`.
    pub fn add(&mut self, name: &str, svg: String, caption: Markup) -> Markup {
        let file = format!("{name}.svg");
        let number = self.files.len() + 1;
        let figure = html! {
            figure id=(name) {
                (embed(&svg, &file))
                figcaption {
                    b { "Figure " (number) "." } " " (caption) " "
                    span class="note" { "(Also saved as " code { (file) } ".)" }
                }
            }
        };
        self.files.push((file, svg.into_bytes()));
        figure
    }

    /// [`Figures::add`] with a plain-text caption.
    pub fn add_text(&mut self, name: &str, svg: String, caption: &str) -> Markup {
        self.add(name, svg, html! { (caption) })
    }

    /// The chart files.
    pub fn into_files(self) -> Vec<(String, Vec<u8>)> {
        self.files
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedding_marks_the_chart() {
        let s = embed("<svg width=\"10\" height=\"10\">\n</svg>\n", "chart-x.svg").into_string();
        assert_eq!(
            s,
            "<svg class=\"chart\" data-chart=\"chart-x.svg\" role=\"img\" width=\"10\" height=\"10\">\n</svg>\n"
        );
    }

    #[test]
    fn the_shell_escapes_its_title_and_inlines_the_stylesheet() {
        let s = render(
            &Shell {
                title: "A <b>",
                heading: "A <b>",
                header: html! { p class="meta" { "x & y" } },
                footer: None,
            },
            html! { p { "body" } },
        );
        assert!(s.starts_with("<!DOCTYPE html><html lang=\"en-GB\">"));
        assert!(s.contains("<title>A &lt;b&gt;</title>"));
        assert!(s.contains("<h1>A &lt;b&gt;</h1>"));
        assert!(s.contains(STYLE));
        assert!(s.contains("x &amp; y"));
        assert!(!s.contains("<footer>"));
    }
}
