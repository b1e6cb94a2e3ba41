//! The one page shell of every HTML page the tool writes (report.html, plan.html,
//! calibration.html, compare.html) or serves (`workwell serve`): the document head
//! with the one stylesheet ([`STYLE`]), a header, `<main id="main">` holding the
//! page's body, and a footer; maud escapes every value interpolated into them.
//!
//! A page written as a file ([`render`]) is self-contained (the stylesheet inlined,
//! nothing fetched, no script), so it can be emailed and printed; its header holds
//! the page's heading. A served page ([`served`]) links the stylesheet, the script
//! and the icon from `/static/`, starts with a link past the site's navigation to
//! its content, and holds its heading in its body.

use maud::{DOCTYPE, Markup, PreEscaped, html};

/// The one stylesheet of every page, inlined into each file and served as
/// `/static/style.css`: readable on screen down to a 390 px phone (tables and charts
/// scroll inside their own box), reports A4 when printed, system fonts only.
pub const STYLE: &str = include_str!("style.css");

/// Where the web front end serves [`STYLE`].
pub const STYLE_PATH: &str = "/static/style.css";

/// Where the web front end serves its one script.
pub const SCRIPT_PATH: &str = "/static/app.js";

/// Where the web front end serves its icon (an SVG).
pub const ICON_PATH: &str = "/static/favicon.svg";

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

/// Where a page is read, which decides what its shell holds and the class of its
/// `<body>` (the stylesheet's rules for one kind of page start with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Frame {
    /// A file of an output folder: `body.report`.
    File,
    /// A page of the web front end: `body.site`.
    Served,
}

/// A complete HTML document written as a file: the shell around `body`.
pub fn render(shell: &Shell<'_>, body: Markup) -> String {
    let header = html! {
        h1 { (shell.heading) }
        (shell.header)
    };
    document(
        Frame::File,
        shell.title,
        header,
        body,
        shell.footer.as_ref(),
    )
    .into_string()
}

/// A complete HTML document served by the web front end: `title`, then `nav` (the
/// site's navigation) in the header, `body` (with its own heading) in `<main>`, and
/// `footer`.
pub fn served(title: &str, nav: Markup, body: Markup, footer: &Markup) -> Markup {
    document(Frame::Served, title, nav, body, Some(footer))
}

fn document(
    frame: Frame,
    title: &str,
    header: Markup,
    body: Markup,
    footer: Option<&Markup>,
) -> Markup {
    let served = frame == Frame::Served;
    html! {
        (DOCTYPE)
        html lang="en-GB" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                @if served {
                    link rel="icon" href=(ICON_PATH) type="image/svg+xml";
                    link rel="stylesheet" href=(STYLE_PATH);
                    script src=(SCRIPT_PATH) defer {}
                } @else {
                    style { (PreEscaped(STYLE)) }
                }
            }
            body class=(if served { "site" } else { "report" }) {
                @if served {
                    a href="#main" class="skip" { "Skip to the content" }
                }
                header { (header) }
                main id="main" { (body) }
                @if let Some(f) = footer {
                    footer { (f) }
                }
            }
        }
    }
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
        assert!(s.contains("<main id=\"main\"><p>body</p></main>"));
        assert!(!s.contains("<footer>"));
        assert!(!s.contains("<script") && !s.contains("<link"));
    }

    #[test]
    fn a_served_page_links_its_stylesheet_script_and_icon() {
        let s = served(
            "A <b> · workwell",
            html! { nav { a href="/" { "home" } } },
            html! { h1 { "A" } },
            &html! { p { "footer" } },
        )
        .into_string();
        assert!(s.contains("<title>A &lt;b&gt; · workwell</title>"));
        assert!(s.contains("<link rel=\"stylesheet\" href=\"/static/style.css\">"));
        assert!(s.contains("<script src=\"/static/app.js\" defer></script>"));
        assert!(s.contains("<link rel=\"icon\" href=\"/static/favicon.svg\""));
        assert!(!s.contains("<style>"));
        assert!(s.contains(
            "<body class=\"site\"><a href=\"#main\" class=\"skip\">Skip to the content</a><header><nav>"
        ));
        assert!(s.contains("<main id=\"main\"><h1>A</h1></main><footer><p>footer</p></footer>"));
    }
}
