//! The Excel workbook beside the CSV files (`results.xlsx`): one sheet per CSV file
//! of an output folder, numbers as numbers, each header with its unit, the header
//! row frozen, and a "Columns" sheet saying what every column holds
//! ([`super::columns`]). Built from the CSV files themselves, so the two can never
//! disagree (each number is written by the CSV renderers with Rust's shortest
//! round-trip form and read back to the same bits).
//!
//! Reproducible: the document's creation date is fixed ([`CREATED`]) and the zip
//! entries carry a fixed time, so the same CSV files give the same bytes.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, XlsxError};

use super::columns::describe;

/// The workbook's file name in every output folder.
pub const FILE: &str = "results.xlsx";

/// The creation date recorded in the workbook (year, month, day): fixed, so that
/// outputs are reproducible, and not the time of writing. The pilots' start date.
pub const CREATED: (u16, u8, u8) = (2024, 10, 1);

/// Tables above this many cells are left out (the CSV file has them): the workbook
/// is built in memory, about 100 bytes a cell.
pub const MAX_CELLS: usize = 2_000_000;

/// Excel's limits: rows and columns of a sheet, characters of a sheet name.
const MAX_ROWS: usize = 1_048_576;
const MAX_COLS: usize = 16_384;
const MAX_SHEET_NAME: usize = 31;

/// Why a workbook could not be made.
#[derive(Debug, thiserror::Error)]
pub enum WorkbookError {
    /// A CSV file the program wrote could not be read back.
    #[error("cannot read {file} for the workbook: {source}")]
    Csv {
        /// The file.
        file: String,
        /// The reader's reason.
        source: csv::Error,
    },
    /// The workbook library failed.
    #[error("cannot make the workbook: {0}")]
    Xlsx(#[from] XlsxError),
}

/// A CSV file read back: its header and rows of text cells.
struct Table {
    file: String,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

fn read(file: &str, bytes: &[u8]) -> Result<Table, WorkbookError> {
    let mut r = csv::ReaderBuilder::new().flexible(true).from_reader(bytes);
    let bad = |source| WorkbookError::Csv {
        file: file.to_string(),
        source,
    };
    let header = r
        .headers()
        .map_err(bad)?
        .iter()
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for rec in r.records() {
        rows.push(rec.map_err(bad)?.iter().map(str::to_string).collect());
    }
    Ok(Table {
        file: file.to_string(),
        header,
        rows,
    })
}

/// A cell's number, when the text is one (finite); `None` for text.
fn number(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit() || c == '-' || c == '.') {
        return None;
    }
    t.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// The sheet name of a file: its name without `.csv`, at most 31 characters,
/// unique among `taken`.
fn sheet_name(file: &str, taken: &[String]) -> String {
    let stem: String = file
        .trim_end_matches(".csv")
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(MAX_SHEET_NAME)
        .collect();
    let mut name = stem.clone();
    let mut k = 2;
    while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) || name == "Columns" {
        let suffix = format!("-{k}");
        name = stem
            .chars()
            .take(MAX_SHEET_NAME - suffix.len())
            .chain(suffix.chars())
            .collect();
        k += 1;
    }
    name
}

/// CSV files larger than this are left out without being read (the CSV file has
/// them).
pub const MAX_CSV_BYTES: u64 = 32 << 20;

/// Builds the workbook from an output folder's CSV files, `(file name, bytes)`, in
/// the order given; `None` for a file too large to include ([`MAX_CSV_BYTES`]).
pub fn workbook(files: &[(String, Option<Vec<u8>>)]) -> Result<Vec<u8>, WorkbookError> {
    let mut wb = Workbook::new();
    let (y, m, d) = CREATED;
    wb.set_properties(
        &DocProperties::new()
            .set_title("WorkWell results")
            .set_author(format!("workwell {}", env!("CARGO_PKG_VERSION")))
            .set_creation_datetime(&ExcelDateTime::from_ymd(y, m, d)?),
    );
    let bold = Format::new().set_bold().set_text_wrap();
    let mut docs: Vec<[String; 4]> = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (file, bytes) in files {
        let Some(bytes) = bytes else {
            docs.push([
                String::new(),
                file.clone(),
                String::new(),
                format!("not in this workbook: larger than it holds; open {file}"),
            ]);
            continue;
        };
        let t = read(file, bytes)?;
        let cols = t.header.len();
        let cells = cols * (t.rows.len() + 1);
        let name = sheet_name(file, &names);
        if cells > MAX_CELLS || t.rows.len() + 1 > MAX_ROWS || cols > MAX_COLS {
            docs.push([
                String::new(),
                file.clone(),
                String::new(),
                format!(
                    "not in this workbook: {} rows x {cols} columns is more than it holds; open {file}",
                    t.rows.len()
                ),
            ]);
            continue;
        }
        names.push(name.clone());
        let ws = wb.add_worksheet();
        ws.set_name(&name)?;
        for (c, h) in t.header.iter().enumerate() {
            let doc = describe(&t.file, h);
            let unit = doc.as_ref().map(|d| d.unit.clone()).unwrap_or_default();
            let head = if unit.is_empty() {
                h.clone()
            } else {
                format!("{h} ({unit})")
            };
            let col = c as u16;
            ws.write_string_with_format(0, col, &head, &bold)?;
            ws.set_column_width(col, 16)?;
            docs.push([
                name.clone(),
                head,
                unit,
                doc.map_or_else(|| "(not described)".to_string(), |d| d.text),
            ]);
        }
        for (r, row) in t.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (c, v) in row.iter().enumerate() {
                match number(v) {
                    Some(x) => ws.write_number(r, c as u16, x)?,
                    None if v.is_empty() => continue,
                    None => ws.write_string(r, c as u16, v)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    let ws = wb.add_worksheet();
    ws.set_name("Columns")?;
    for (c, h) in ["sheet", "column (unit)", "unit", "what it holds"]
        .iter()
        .enumerate()
    {
        ws.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in docs.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            ws.write_string((r + 1) as u32, c as u16, v)?;
        }
    }
    ws.set_column_width(0, 16)?;
    ws.set_column_width(1, 36)?;
    ws.set_column_width(2, 14)?;
    ws.set_column_width(3, 100)?;
    ws.set_freeze_panes(1, 0)?;
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_told_from_text() {
        assert_eq!(number("25000"), Some(25000.0));
        assert_eq!(number("-0.5"), Some(-0.5));
        assert_eq!(number("1e-7"), Some(1e-7));
        assert_eq!(number("2024-10"), None);
        assert_eq!(number("inf"), None);
        assert_eq!(number("NaN"), None);
        assert_eq!(number("Frimley"), None);
        assert_eq!(number(""), None);
    }

    #[test]
    fn sheet_names_are_short_and_unique() {
        let long = "a_very_long_file_name_of_more_than_31_characters.csv";
        let one = sheet_name(long, &[]);
        assert_eq!(one.chars().count(), 31);
        let two = sheet_name(long, std::slice::from_ref(&one));
        assert!(two.ends_with("-2") && two.chars().count() == 31 && two != one);
        assert_eq!(sheet_name("Columns.csv", &[]), "Columns-2");
    }
}
