//! Figures of a page: each chart inline with a numbered caption, and kept as its own
//! SVG file beside the page.

use crate::display::esc;

/// An SVG chart marked for the page: `class="chart"` and `data-chart` naming its
/// file.
pub fn embed(svg: &str, name: &str) -> String {
    match svg.strip_prefix("<svg ") {
        Some(rest) => format!(
            "<svg class=\"chart\" data-chart=\"{}\" role=\"img\" {rest}",
            esc(name)
        ),
        None => svg.to_string(),
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
    pub fn add(&mut self, name: &str, svg: String, caption: &str) -> String {
        let file = format!("{name}.svg");
        let html = format!(
            "<figure id=\"{id}\">\n{}<figcaption><b>Figure {}.</b> {caption} <span class=\"note\">(Also saved as <code>{file}</code>.)</span></figcaption>\n</figure>\n",
            embed(&svg, &file),
            self.files.len() + 1,
            id = esc(name),
        );
        self.files.push((file, svg.into_bytes()));
        html
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
        let s = embed("<svg width=\"10\" height=\"10\">\n</svg>\n", "chart-x.svg");
        assert!(s.starts_with(
            "<svg class=\"chart\" data-chart=\"chart-x.svg\" role=\"img\" width=\"10\""
        ));
    }
}
