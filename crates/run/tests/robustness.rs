//! The robustness campaign (F17): every reader fed mutated copies of real-layout inputs —
//! offers API pages and NDJSON, LHEO XML, CSV, XLSX (byte-mutated, and rebuilt with hostile
//! cells), GeoJSON, the pipeline TOML — for a fixed budget each. A reader may refuse an
//! input (an error naming it) but must never panic, hang or blow up its memory. `make test`
//! runs a short smoke of it; `make fuzz` the full budget (`SKILLGAP_FUZZ_SECONDS` per reader,
//! `SKILLGAP_FUZZ_SEED`). A finding leaves its input under the test's temporary directory.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Read;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use skillgap_sources::{
    BassinProperties, OfferReader, RejectsBuilder, TableFormat, TableSettings, read_bassins, read_lheo, read_table,
    table_layout,
};

/// A case running longer than this is a hang (debug builds, inputs of a few KiB).
const HANG: Duration = Duration::from_secs(20);
/// The process's peak RSS allowed by the end of the campaign.
const MEMORY_MIB: u64 = 2048;

fn repository() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn decompressed(path: &Path, limit: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    skillgap_sources::open_decompressed(path).unwrap().take(limit as u64).read_to_end(&mut bytes).unwrap();
    bytes
}

/// The first `lines` lines of a file.
fn head(path: &Path, lines: usize) -> Vec<u8> {
    let text = decompressed(path, 1 << 20);
    let end = text.iter().enumerate().filter(|(_, b)| **b == b'\n').nth(lines - 1).map_or(text.len(), |(i, _)| i + 1);
    text[..end].to_vec()
}

/// Tokens that readers treat specially: quotes, markup, separators, encodings, numbers.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"&#0;",
    b"&#x110000;",
    b"]]>",
    b"<![CDATA[",
    b"<!ENTITY x SYSTEM \"file:///etc/passwd\">",
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b";",
    b"\t",
    b"\n",
    b"\r\n",
    b"\r",
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xe9",
    b"\xef\xbb\xbf",
    b"NaN",
    b"1e999",
    b"-0",
    b"99999999999999999999",
    b"null",
    b"true",
    b"00",
    b"2026-02-30",
    b"20261399",
    b"*",
    b"=",
    b"[[",
    b"\\",
    b"\\u0000",
    b"\\ud800",
];

/// One mutation of `seed`, sometimes spliced with `other`.
fn mutate(rng: &mut ChaCha8Rng, seed: &[u8], other: &[u8]) -> Vec<u8> {
    let mut bytes = seed.to_vec();
    for _ in 0..rng.random_range(1..=4) {
        let at = if bytes.is_empty() { 0 } else { rng.random_range(0..bytes.len()) };
        match rng.random_range(0..7) {
            0 if !bytes.is_empty() => bytes[at] ^= 1 << rng.random_range(0..8),
            1 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                bytes.splice(at..at, token.iter().copied());
            }
            2 if !bytes.is_empty() => {
                let end = (at + rng.random_range(1..64)).min(bytes.len());
                bytes.drain(at..end);
            }
            3 if !bytes.is_empty() => {
                let end = (at + rng.random_range(1..256)).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                for _ in 0..rng.random_range(1..8) {
                    bytes.splice(at..at, chunk.iter().copied());
                }
            }
            4 => bytes.truncate(at),
            5 if !other.is_empty() => {
                let from = rng.random_range(0..other.len());
                bytes.truncate(at);
                bytes.extend_from_slice(&other[from..]);
            }
            _ if !bytes.is_empty() => bytes[at] = rng.random(),
            _ => bytes.push(rng.random()),
        }
    }
    bytes
}

/// What one reader made of the campaign.
#[derive(Debug, Default)]
struct Tally {
    tried: u64,
    refused: u64,
    findings: Vec<String>,
}

/// The input of the running case and when it started, for the watchdog.
type Running = Arc<Mutex<Option<(String, Instant, Vec<u8>)>>>;

fn watchdog(running: Running, out: PathBuf) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(250));
            if let Some((reader, started, input)) = running.lock().unwrap().as_ref()
                && started.elapsed() > HANG
            {
                let path = out.join(format!("hang-{}.bin", reader.replace(' ', "-")));
                std::fs::write(&path, input).unwrap();
                eprintln!("HANG: {reader} ran over {HANG:?} on the input saved at {}", path.display());
                std::process::abort();
            }
        }
    });
}

/// Feeds `read` mutations of `seeds` for `budget`, written to `file` (its extension matters).
fn campaign(
    name: &str,
    seeds: &[Vec<u8>],
    file: &Path,
    budget: Duration,
    seed: u64,
    running: &Running,
    read: &dyn Fn(&Path) -> bool,
) -> Tally {
    let mut rng =
        ChaCha8Rng::seed_from_u64(seed ^ name.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))));
    let mut tally = Tally::default();
    let started = Instant::now();
    // The seeds themselves must read (a campaign on inputs the reader refuses tests nothing).
    for (index, seed) in seeds.iter().enumerate() {
        std::fs::write(file, seed).unwrap();
        assert!(read(file), "{name}: seed {index} is refused");
    }
    while started.elapsed() < budget {
        let seed = &seeds[rng.random_range(0..seeds.len())];
        let other = &seeds[rng.random_range(0..seeds.len())];
        let input = mutate(&mut rng, seed, other);
        std::fs::write(file, &input).unwrap();
        *running.lock().unwrap() = Some((name.to_owned(), Instant::now(), input.clone()));
        match catch_unwind(AssertUnwindSafe(|| read(file))) {
            Ok(true) => {}
            Ok(false) => tally.refused += 1,
            Err(_) => {
                let path =
                    file.with_file_name(format!("panic-{}-{}.bin", name.replace(' ', "-"), tally.findings.len()));
                std::fs::write(&path, &input).unwrap();
                tally.findings.push(format!("{name}: panic on {}", path.display()));
            }
        }
        *running.lock().unwrap() = None;
        tally.tried += 1;
    }
    tally
}

fn peak_rss_mib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").trim().parse::<u64>().ok())
        .unwrap_or(0)
        / 1024
}

/// A small workbook in the BMO layout, its cells drawn by `rng` (text, numbers, blanks,
/// formulas, dates) when `hostile`.
fn bmo_workbook(rng: &mut ChaCha8Rng, hostile: bool) -> Vec<u8> {
    let layout = table_layout("bmo").unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (column, header) in layout.columns.iter().map(|c| c.header.replace('*', "26")).enumerate() {
        sheet.write_string(0, column as u16, header).unwrap();
    }
    for row in 1..6u32 {
        for column in 0..layout.columns.len() as u16 {
            let choice = if hostile { rng.random_range(0..6) } else { 0 };
            match choice {
                0 => sheet.write_string(row, column, format!("{}", 10 + row)).map(|_| ()),
                1 => sheet.write_number(row, column, rng.random_range(-1e12..1e12)).map(|_| ()),
                2 => sheet.write_formula(row, column, "=1/0").map(|_| ()),
                3 => sheet
                    .write_string(
                        row,
                        column,
                        String::from_utf8_lossy(TOKENS[rng.random_range(0..TOKENS.len())]).into_owned(),
                    )
                    .map(|_| ()),
                4 => sheet.write_boolean(row, column, true).map(|_| ()),
                _ => Ok(()),
            }
            .unwrap();
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[test]
fn every_reader_survives_mutated_inputs() {
    let budget = Duration::from_secs_f64(
        std::env::var("SKILLGAP_FUZZ_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(1.5),
    );
    let seed: u64 = std::env::var("SKILLGAP_FUZZ_SEED").ok().and_then(|s| s.parse().ok()).unwrap_or(20261202);
    let work = tempfile::tempdir().unwrap();
    let running: Running = Arc::default();
    watchdog(running.clone(), work.path().to_path_buf());
    let root = repository();
    let demo = root.join("fixtures/demo");
    let mut tallies: Vec<(String, Tally)> = Vec::new();

    let offers = |path: &Path| {
        let mut reader = OfferReader::new();
        reader.start_file(0);
        let mut rejects = RejectsBuilder::default();
        let read =
            reader.read_file(path, "fuzz", &mut rejects, &mut |_| Ok(())).and_then(|()| reader.flush(&mut |_| Ok(())));
        read.is_ok()
    };
    let pages = vec![
        std::fs::read(root.join("crates/run/tests/data/offres_search_page.json")).unwrap(),
        decompressed(&demo.join("offers/api/offres-0000000-0000149.json.gz"), 1 << 16),
    ];
    // The demo page is cut at 64 KiB: keep only the intact sample and pages that parse.
    let pages: Vec<Vec<u8>> =
        pages.into_iter().filter(|p| serde_json::from_slice::<serde_json::Value>(p).is_ok()).collect();
    tallies.push((
        "offers API page".into(),
        campaign("offers API page", &pages, &work.path().join("page.json"), budget, seed, &running, &offers),
    ));
    let ndjson = vec![head(&demo.join("offers/ndjson/offres-000.ndjson.gz"), 20)];
    tallies.push((
        "offers NDJSON".into(),
        campaign("offers NDJSON", &ndjson, &work.path().join("offers.ndjson"), budget, seed, &running, &offers),
    ));

    let lheo = |path: &Path| {
        let mut rejects = RejectsBuilder::default();
        read_lheo(path, "fuzz", &mut rejects, &mut |_| Ok(())).is_ok()
    };
    let catalogues = vec![
        std::fs::read(root.join("crates/sources/tests/data/lheo_formation_2.2.xml")).unwrap(),
        std::fs::read(root.join("crates/sources/tests/data/lheo_index_2.2.xml")).unwrap(),
    ];
    tallies.push((
        "LHEO XML".into(),
        campaign("LHEO XML", &catalogues, &work.path().join("catalogue.xml"), budget, seed, &running, &lheo),
    ));

    let csv = |input: &'static str, delimiter: u8| {
        move |path: &Path| {
            let mut rejects = RejectsBuilder::default();
            read_table(table_layout(input).unwrap(), &TableSettings::csv(delimiter), path, "fuzz", &mut rejects).is_ok()
        }
    };
    let jobseekers = vec![head(&demo.join("jobseekers/demandeurs_emploi.csv"), 30)];
    tallies.push((
        "CSV jobseekers".into(),
        campaign(
            "CSV jobseekers",
            &jobseekers,
            &work.path().join("jobseekers.csv"),
            budget,
            seed,
            &running,
            &csv("jobseekers", b','),
        ),
    ));
    let bmo = vec![head(&demo.join("bmo/bmo_2026.csv"), 30)];
    tallies.push((
        "CSV BMO".into(),
        campaign("CSV BMO", &bmo, &work.path().join("bmo.csv"), budget, seed, &running, &csv("bmo", b';')),
    ));

    let xlsx = |path: &Path| {
        let mut rejects = RejectsBuilder::default();
        let settings = TableSettings { format: TableFormat::Xlsx, ..TableSettings::csv(b',') };
        read_table(table_layout("bmo").unwrap(), &settings, path, "fuzz", &mut rejects).is_ok()
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let workbooks = vec![bmo_workbook(&mut rng, false)];
    tallies.push((
        "XLSX bytes".into(),
        campaign("XLSX bytes", &workbooks, &work.path().join("bmo.xlsx"), budget, seed, &running, &xlsx),
    ));
    // Well-formed workbooks with hostile cells: what a spreadsheet user can type.
    let mut hostile = Tally::default();
    let started = Instant::now();
    let file = work.path().join("hostile.xlsx");
    while started.elapsed() < budget {
        let bytes = bmo_workbook(&mut rng, true);
        std::fs::write(&file, &bytes).unwrap();
        match catch_unwind(AssertUnwindSafe(|| xlsx(&file))) {
            Ok(true) => {}
            Ok(false) => hostile.refused += 1,
            Err(_) => {
                let path = work.path().join(format!("panic-xlsx-cells-{}.xlsx", hostile.findings.len()));
                std::fs::write(&path, &bytes).unwrap();
                hostile.findings.push(format!("XLSX cells: panic on {}", path.display()));
            }
        }
        hostile.tried += 1;
    }
    tallies.push(("XLSX cells".into(), hostile));

    let bassins = |path: &Path| read_bassins(path, &BassinProperties::default()).is_ok();
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo.join("territories/bassins.geojson")).unwrap()).unwrap();
    let mut small = document.clone();
    small["features"] =
        serde_json::Value::Array(document["features"].as_array().unwrap().iter().take(2).cloned().collect());
    let geojson = vec![serde_json::to_vec(&small).unwrap()];
    tallies.push((
        "GeoJSON bassins".into(),
        campaign("GeoJSON bassins", &geojson, &work.path().join("bassins.geojson"), budget, seed, &running, &bassins),
    ));

    let pipeline = |path: &Path| {
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        skillgap_config::Pipeline::parse(&text, path, &root.join("pipelines")).is_ok()
    };
    let pipelines = vec![
        std::fs::read(root.join("pipelines/demo.toml")).unwrap(),
        std::fs::read(root.join("tests/minimal-pipeline.toml")).unwrap(),
    ];
    tallies.push((
        "pipeline TOML".into(),
        campaign("pipeline TOML", &pipelines, &work.path().join("pipeline.toml"), budget, seed, &running, &pipeline),
    ));

    let mut findings = Vec::new();
    for (name, tally) in &tallies {
        eprintln!(
            "{name:>16}: {:>7} inputs tried, {:>7} refused with an error, {} finding(s)",
            tally.tried,
            tally.refused,
            tally.findings.len()
        );
        findings.extend(tally.findings.iter().cloned());
        assert!(tally.tried > 0, "{name}: nothing tried");
    }
    let peak = peak_rss_mib();
    eprintln!("peak RSS {peak} MiB, seed {seed}, {budget:?} per reader");
    if !findings.is_empty() {
        // The inputs stay for the regression tests.
        let kept = work.keep();
        panic!("{} finding(s), inputs in {}: {findings:#?}", findings.len(), kept.display());
    }
    assert!(peak < MEMORY_MIB, "peak RSS {peak} MiB");
}
