//! The geography data in `data/geography/`: every ICB maps to exactly one footprint per
//! date (split ICBs by shares that add up to 1), every row names its source, and the fit
//! notes of the 42 ICBs add up to the national total, with the 15 published pilot figures
//! copied unchanged.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

const FOOTPRINTS: &str = "data/geography/icb_footprints.csv";
const FIT_NOTES: &str = "data/geography/fit_notes_by_icb.csv";
const README: &str = "data/geography/README.md";

/// Fit notes issued in England in 2023: DWP press release "New £64 million plan to help
/// people stay in work", 7 May 2024 ("almost 11 million fit notes were issued last year"),
/// used as 11,000,000; stated in data/geography/README.md.
const NATIONAL_TOTAL_2023: u64 = 11_000_000;

/// Fit notes issued January to December 2023 in the 15 pilot ICBs: the table in the DWP
/// press release of 7 May 2024.
const PUBLISHED_2023: [(&str, u64); 15] = [
    ("Birmingham and Solihull", 334_072),
    ("Black Country", 310_812),
    ("Bristol, North Somerset and South Gloucestershire", 191_192),
    ("Cambridgeshire and Peterborough", 137_566),
    ("Cornwall and the Isles of Scilly", 95_934),
    ("Coventry and Warwickshire", 243_508),
    ("Frimley", 112_259),
    ("Herefordshire and Worcestershire", 150_606),
    ("Greater Manchester", 744_442),
    ("Lancashire and South Cumbria", 455_436),
    ("Leicester, Leicestershire and Rutland", 192_650),
    ("North Central London", 262_733),
    ("North West London", 348_112),
    ("South Yorkshire", 322_958),
    ("Surrey Heartlands", 130_341),
];

#[derive(Debug, Deserialize)]
struct FootprintRow {
    icb: String,
    icb_code: String,
    ods_code: String,
    nhs_region: String,
    part: String,
    share_2026: f64,
    cluster_2025: String,
    footprint_2026: String,
    footprint_2026_code: String,
    footprint_2027: String,
    source: String,
    notes: String,
}

#[derive(Debug, Deserialize)]
struct FitNoteRow {
    icb: String,
    fit_notes_2023: u64,
    method: String,
    population_used: Option<u64>,
    source: String,
}

fn read<T: serde::de::DeserializeOwned>(path: &str) -> Vec<T> {
    let mut reader = csv::Reader::from_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    reader
        .deserialize()
        .enumerate()
        .map(|(i, row)| row.unwrap_or_else(|e| panic!("{path} data row {}: {e}", i + 1)))
        .collect()
}

fn footprints() -> Vec<FootprintRow> {
    read(FOOTPRINTS)
}

fn fit_notes() -> Vec<FitNoteRow> {
    read(FIT_NOTES)
}

#[test]
fn there_are_42_distinct_icbs_with_distinct_codes() {
    let rows = footprints();
    let icbs: BTreeSet<&str> = rows.iter().map(|r| r.icb.as_str()).collect();
    assert_eq!(icbs.len(), 42, "{icbs:?}");
    let mut code_of = BTreeMap::new();
    for r in &rows {
        assert!(
            r.icb_code.starts_with("E54") && r.icb_code.len() == 9,
            "{}: icb_code {:?}",
            r.icb,
            r.icb_code
        );
        assert!(
            r.ods_code.starts_with('Q'),
            "{}: ods_code {:?}",
            r.icb,
            r.ods_code
        );
        assert!(!r.nhs_region.is_empty(), "{}: no region", r.icb);
        let codes = (r.icb_code.as_str(), r.ods_code.as_str());
        assert_eq!(
            *code_of.entry(r.icb.as_str()).or_insert(codes),
            codes,
            "{}",
            r.icb
        );
    }
    let ons: BTreeSet<&str> = code_of.values().map(|c| c.0).collect();
    let ods: BTreeSet<&str> = code_of.values().map(|c| c.1).collect();
    assert_eq!((ons.len(), ods.len()), (42, 42));
    let regions: BTreeSet<&str> = rows.iter().map(|r| r.nhs_region.as_str()).collect();
    assert_eq!(
        regions.len(),
        7,
        "NHS England has seven regions: {regions:?}"
    );
}

#[test]
fn every_icb_maps_to_exactly_one_footprint_per_date() {
    let rows = footprints();
    let mut parts: BTreeMap<&str, Vec<&FootprintRow>> = BTreeMap::new();
    for r in &rows {
        parts.entry(r.icb.as_str()).or_default().push(r);
        for (column, value) in [
            ("footprint_2026", &r.footprint_2026),
            ("footprint_2027", &r.footprint_2027),
            ("footprint_2026_code", &r.footprint_2026_code),
            ("cluster_2025", &r.cluster_2025),
        ] {
            assert!(
                !value.trim().is_empty(),
                "{} ({}): empty {column}",
                r.icb,
                r.part
            );
        }
        assert!(
            r.share_2026 > 0.0 && r.share_2026 <= 1.0,
            "{} ({}): share_2026 {}",
            r.icb,
            r.part,
            r.share_2026
        );
        if r.footprint_2027 == r.footprint_2026 {
            assert!(
                r.notes.contains("assumption: not yet published"),
                "{} ({}): 2027 footprint repeats 2026 without saying it is an assumption",
                r.icb,
                r.part
            );
        }
    }
    let mut split = BTreeSet::new();
    for (icb, rows) in &parts {
        let names: BTreeSet<&str> = rows.iter().map(|r| r.part.as_str()).collect();
        assert_eq!(names.len(), rows.len(), "{icb}: a part is listed twice");
        let total: f64 = rows.iter().map(|r| r.share_2026).sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "{icb}: shares add up to {total}"
        );
        if rows.len() == 1 {
            assert_eq!(rows[0].part, "whole", "{icb}");
            assert_eq!(rows[0].share_2026, 1.0, "{icb}");
        } else {
            assert!(
                rows.iter().all(|r| r.part != "whole"),
                "{icb}: split and whole"
            );
            for r in rows {
                assert!(
                    r.notes.contains("assumption"),
                    "{icb} ({}): share basis",
                    r.part
                );
            }
            let targets: BTreeSet<&str> = rows.iter().map(|r| r.footprint_2026.as_str()).collect();
            assert_eq!(
                targets.len(),
                rows.len(),
                "{icb}: two parts go the same way"
            );
            split.insert(*icb);
        }
    }
    // The three ICBs split between the 2026 footprints (written statement HCWS915 and the
    // East of England and South East announcements).
    let expected: BTreeSet<&str> = [
        "Frimley",
        "Hertfordshire and West Essex",
        "Suffolk and North East Essex",
    ]
    .into();
    assert_eq!(split, expected);
}

#[test]
fn the_2026_geography_has_36_footprints_under_26_leadership_teams() {
    let rows = footprints();
    // 42 ICBs, 13 of them (or their parts) merged into 7 new ICBs: 42 - 13 + 7 = 36.
    let mut code_of: BTreeMap<&str, &str> = BTreeMap::new();
    for r in &rows {
        let code = *code_of
            .entry(r.footprint_2026.as_str())
            .or_insert(r.footprint_2026_code.as_str());
        assert_eq!(
            code, r.footprint_2026_code,
            "{}: two codes",
            r.footprint_2026
        );
    }
    assert_eq!(code_of.len(), 36, "{code_of:?}");
    let new: BTreeSet<&str> = code_of
        .iter()
        .filter(|(_, code)| !rows.iter().any(|r| r.icb_code == **code))
        .map(|(name, _)| *name)
        .collect();
    let expected: BTreeSet<&str> = [
        "Central East",
        "Essex",
        "Hampshire and Isle of Wight",
        "Norfolk and Suffolk",
        "Surrey and Sussex",
        "Thames Valley",
        "West and North London",
    ]
    .into();
    assert_eq!(new, expected);
    // "the number of ICB senior leadership teams will go from 42 to 26" (HCWS915).
    let clusters: BTreeSet<&str> = rows.iter().map(|r| r.cluster_2025.as_str()).collect();
    assert_eq!(clusters.len(), 26, "{clusters:?}");
}

#[test]
fn every_row_names_its_source() {
    for r in footprints() {
        assert!(
            !r.source.trim().is_empty(),
            "{FOOTPRINTS}: {} ({}) has no source",
            r.icb,
            r.part
        );
    }
    for r in fit_notes() {
        assert!(
            !r.source.trim().is_empty(),
            "{FIT_NOTES}: {} has no source",
            r.icb
        );
    }
}

#[test]
fn fit_notes_cover_the_same_42_icbs_and_add_up_to_the_national_total() {
    let rows = fit_notes();
    let icbs: BTreeSet<&str> = rows.iter().map(|r| r.icb.as_str()).collect();
    assert_eq!((rows.len(), icbs.len()), (42, 42));
    let mapped = footprints();
    let mapped: BTreeSet<&str> = mapped.iter().map(|r| r.icb.as_str()).collect();
    assert_eq!(icbs, mapped);

    let total: u64 = rows.iter().map(|r| r.fit_notes_2023).sum();
    assert_eq!(total, NATIONAL_TOTAL_2023);
    let readme = std::fs::read_to_string(README).unwrap();
    assert!(
        readme.contains("National total used: 11,000,000"),
        "{README} must state the national total the test uses"
    );
}

#[test]
fn the_15_pilot_rows_equal_the_published_figures() {
    let rows = fit_notes();
    let by_icb: BTreeMap<&str, &FitNoteRow> = rows.iter().map(|r| (r.icb.as_str(), r)).collect();
    for (icb, published) in PUBLISHED_2023 {
        let row = by_icb.get(icb).unwrap_or_else(|| panic!("{icb} missing"));
        assert_eq!(row.fit_notes_2023, published, "{icb}");
        assert_eq!(row.method, "published", "{icb}");
        assert!(row.source.contains("7 May 2024"), "{icb}: {}", row.source);
    }
    let published: BTreeSet<&str> = PUBLISHED_2023.iter().map(|p| p.0).collect();
    let marked: BTreeSet<&str> = rows
        .iter()
        .filter(|r| r.method == "published")
        .map(|r| r.icb.as_str())
        .collect();
    assert_eq!(marked, published);
    assert_eq!(
        PUBLISHED_2023.iter().map(|p| p.1).sum::<u64>(),
        4_032_621,
        "the 15 pilot areas issued 4,032,621 fit notes [MODEL.md section 2]"
    );
}

#[test]
fn the_other_27_rows_are_the_rest_shared_by_registered_population() {
    let rows = fit_notes();
    let published: u64 = PUBLISHED_2023.iter().map(|p| p.1).sum();
    let rest = (NATIONAL_TOTAL_2023 - published) as f64;
    let others: Vec<&FitNoteRow> = rows.iter().filter(|r| r.method != "published").collect();
    assert_eq!(others.len(), 27);
    let population: u64 = others
        .iter()
        .map(|r| {
            r.population_used
                .unwrap_or_else(|| panic!("{}: no population_used", r.icb))
        })
        .sum();
    for r in others {
        assert_eq!(
            r.method, "apportioned by registered population",
            "{}",
            r.icb
        );
        // Largest-remainder rounding keeps each row within one fit note of its exact share.
        let exact = rest * r.population_used.unwrap() as f64 / population as f64;
        let gap = r.fit_notes_2023 as f64 - exact;
        assert!(
            (-1.0..1.0).contains(&gap),
            "{}: {} fit notes, exact share {exact:.2}",
            r.icb,
            r.fit_notes_2023
        );
    }
}
