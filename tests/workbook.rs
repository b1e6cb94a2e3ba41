//! The Excel workbook beside the CSV files (`results.xlsx`): opened as what it is, a
//! zip of XML, it has one sheet per CSV file and a "Columns" sheet, numbers stored as
//! numbers, the header row frozen, units in the headers, every column described, a
//! fixed creation date, and the same bytes on 1 thread or 2; every command's folder
//! has one.

use std::io::Read;
use std::path::Path;

use assert_cmd::Command;

fn workwell() -> Command {
    Command::cargo_bin("workwell").expect("binary built")
}

/// The workbook's parts by name.
struct Book {
    parts: std::collections::BTreeMap<String, String>,
}

impl Book {
    fn open(path: &Path) -> Self {
        let f = std::fs::File::open(path).expect("the workbook exists");
        let mut z = zip::ZipArchive::new(f).expect("a zip file");
        let mut parts = std::collections::BTreeMap::new();
        for i in 0..z.len() {
            let mut e = z.by_index(i).unwrap();
            let mut s = String::new();
            e.read_to_string(&mut s).unwrap();
            parts.insert(e.name().to_string(), s);
        }
        Self { parts }
    }

    fn part(&self, name: &str) -> &str {
        self.parts
            .get(name)
            .unwrap_or_else(|| panic!("no part {name}"))
    }

    /// Sheet names in order.
    fn sheets(&self) -> Vec<String> {
        self.part("xl/workbook.xml")
            .split("<sheet name=\"")
            .skip(1)
            .map(|s| s.split('"').next().unwrap().to_string())
            .collect()
    }

    /// The shared strings, in index order.
    fn strings(&self) -> Vec<String> {
        self.part("xl/sharedStrings.xml")
            .split("<t>")
            .skip(1)
            .chain(
                self.part("xl/sharedStrings.xml")
                    .split("<t xml:space=\"preserve\">")
                    .skip(1),
            )
            .map(|s| s.split("</t>").next().unwrap().to_string())
            .collect()
    }

    /// The XML of the `i`th sheet (from 1).
    fn sheet(&self, i: usize) -> &str {
        self.part(&format!("xl/worksheets/sheet{i}.xml"))
    }
}

/// The `<c>` element of cell `r` (e.g. `C2`) in a sheet's XML.
fn cell<'a>(sheet: &'a str, r: &str) -> &'a str {
    let start = sheet
        .find(&format!("<c r=\"{r}\""))
        .unwrap_or_else(|| panic!("no cell {r}"));
    let end = sheet[start..]
        .find("</c>")
        .map_or(sheet.len(), |e| start + e);
    &sheet[start..end]
}

fn run(dir: &Path, threads: &str) {
    workwell()
        .args([
            "run",
            "scenarios/baseline.toml",
            "-r",
            "6",
            "-q",
            "-t",
            threads,
            "--out",
        ])
        .arg(dir)
        .assert()
        .success();
}

#[test]
fn a_run_has_a_workbook_with_sheets_numbers_frozen_headers_and_columns() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("run");
    run(&out, "1");
    let book = Book::open(&out.join("results.xlsx"));
    assert_eq!(
        book.sheets(),
        ["area_month", "replications", "sensitivity", "Columns"]
    );
    // area_month: the header is text with its unit, the values numbers
    let am = book.sheet(1);
    assert!(
        am.contains(
            r#"<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>"#
        )
    );
    let strings = book.strings();
    let header = cell(am, "C1");
    assert!(header.contains(r#"t="s""#), "{header}");
    assert!(
        strings.iter().any(|s| s == "referrals_mean (people)"),
        "units in headers"
    );
    // C2: Programme's referrals in the first month, a number (no t="s")
    let c2 = cell(am, "C2");
    assert!(!c2.contains("t=\""), "a number cell: {c2}");
    let v: f64 = c2
        .split("<v>")
        .nth(1)
        .unwrap()
        .split("</v>")
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let csv = std::fs::read_to_string(out.join("area_month.csv")).unwrap();
    let first: f64 = csv
        .lines()
        .nth(1)
        .unwrap()
        .split(',')
        .nth(2)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(v, first, "the same number as the CSV file");
    // text stays text: A2 is "Programme"
    assert!(cell(am, "A2").contains(r#"t="s""#));
    // every column is described
    assert!(!strings.iter().any(|s| s == "(not described)"));
    assert!(strings.iter().any(
        |s| s.starts_with("starts in the period: mean across replications")
            || s.contains("mean across replications")
    ));
    for i in 1..=4 {
        assert!(
            book.sheet(i).contains(r#"state="frozen""#),
            "sheet {i} frozen"
        );
    }
    // a fixed creation date, not the time of writing
    assert!(
        book.part("docProps/core.xml")
            .contains("2024-10-01T00:00:00Z")
    );
    // the same bytes on 2 threads
    let again = tmp.path().join("run2");
    run(&again, "2");
    assert_eq!(
        std::fs::read(out.join("results.xlsx")).unwrap(),
        std::fs::read(again.join("results.xlsx")).unwrap()
    );
}

#[test]
fn every_command_writes_a_workbook_with_every_column_described() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let points = t.join("points.csv");
    std::fs::write(&points, "defaults.coach.fte\n8\n12\n").unwrap();
    let cases: Vec<(&str, Vec<String>, Vec<&str>)> = vec![
        (
            "run",
            vec![
                "run".into(),
                "scenarios/baseline.toml".into(),
                "--group-by".into(),
                "footprint_2026".into(),
                "--observed".into(),
                "data/observed/mi_2025-11.csv".into(),
                "-r".into(),
                "4".into(),
            ],
            vec![
                "area_month",
                "groups",
                "observed",
                "observed_check",
                "replications",
                "sensitivity",
                "Columns",
            ],
        ),
        (
            "compare",
            vec![
                "compare".into(),
                "scenarios/baseline.toml".into(),
                "--what-if".into(),
                "areas.Frimley.coach.fte=+2".into(),
                "-r".into(),
                "4".into(),
            ],
            vec!["compare", "Columns"],
        ),
        (
            "sweep",
            vec![
                "sweep".into(),
                "scenarios/baseline.toml".into(),
                "--points".into(),
                points.display().to_string(),
                "-r".into(),
                "3".into(),
            ],
            vec!["sweep", "sweep_areas", "Columns"],
        ),
        (
            "plan",
            vec![
                "plan".into(),
                "scenarios/baseline.toml".into(),
                "--area".into(),
                "frimley".into(),
                "-r".into(),
                "6".into(),
            ],
            vec!["levers", "plan", "Columns"],
        ),
        (
            "calibrate",
            vec![
                "calibrate".into(),
                "scenarios/baseline.toml".into(),
                "--observed".into(),
                "data/observed/mi_2025-11.csv".into(),
                "--points".into(),
                "16".into(),
                "--samples".into(),
                "40".into(),
                "--replicates".into(),
                "1".into(),
                "-r".into(),
                "3".into(),
            ],
            vec!["observed", "posterior", "Columns"],
        ),
    ];
    for (name, args, sheets) in cases {
        let out = t.join(name);
        workwell()
            .args(&args)
            .arg("-q")
            .arg("--out")
            .arg(&out)
            .assert()
            .success();
        let book = Book::open(&out.join("results.xlsx"));
        assert_eq!(book.sheets(), sheets, "{name}");
        let strings = book.strings();
        assert!(
            !strings.iter().any(|s| s == "(not described)"),
            "{name}: a column without a description"
        );
    }
}
