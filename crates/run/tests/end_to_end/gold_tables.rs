//! Every column of every gold table, on a hand-built case computed in the comments: three
//! bassins, six métiers, sessions with several Formacodes (shared among their métiers),
//! masked BMO values, an offer updated twice, a session with unknown places, the windows'
//! edge dates, the semester snapshots with their deltas, and the public export.
//!
//! D = 2026-07-01: W12 = [2025-07-01, 2026-07-01), F6 = [2026-07-01, 2027-01-01),
//! O = [2025-01-01, 2026-01-01); MIN_DENOM = 10 (so that small numbers exercise the
//! thresholds), MIN_COUNT = 5.

use crate::expected::{self, render};
use crate::support::{load, write_pipeline};
use skillgap_run::{QuerySession, RunRequest};

const COMMUNES: &str = "code_commune,libelle_commune,code_bassin,code_postal\n11001,Un,0001,11100\n22001,Deux,0002,22100\n33001,Trois,0003,33100\n";

// Six métiers. B2222 has its own BMO métier M6; A1111 is M1.
const ROME: &str = "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur
A1111,Métier A,M1,F1,santé
B2222,Métier B,M6,F1,santé
C3333,Métier C,M2,F2,BTP
D4444,Métier D,M3,F2,BTP
E5555,Métier E,M4,F3,services
F6666,Métier F,M5,F3,services
";
// 55555 has no NSF; 77777 maps to no ROME.
const FORMACODE: &str = "formacode,libelle,code_nsf\n11111,Fa,331\n22222,Fb,331\n33333,Fc,230\n44444,Fd,230\n55555,Fe,\n66666,Ff,100\n77777,Fg,100\n";
const NSF: &str = "code_nsf,libelle_nsf\n331,Santé\n230,BTP\n100,Formations générales\n";
// M(s) from Formacodes: 11111 → A, B; 22222 → B; 33333 → C, D; 44444 → D; 55555 → E;
// 66666 → D. So v(A,331) = 1, v(B,331) = 1, v(C,230) = 1, v(D,230) = 2/3, v(D,100) = 1/3,
// E has no Formacode with an NSF, F none at all.
const ROME_FORMACODE: &str = "code_rome,formacode\nA1111,11111\nB2222,11111\nB2222,22222\nC3333,33333\nD4444,33333\nD4444,44444\nD4444,66666\nE5555,55555\n";

// o1 and o2 sit on W12's edges (in), o3 just before it, o5 on D (out). o4 is updated
// twice, out of order: the 2026-03-05 version wins (3 postes, CDD 2 mois, not durable).
// o6 has nombrePostes 0 (counts 1). o7 lists one competence twice and one without code.
// o8's commune is unknown: HORS_BASSIN.
const OFFERS: &str = r#"{"id":"o1","dateCreation":"2025-07-01T00:00:00Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDI","nombrePostes":2,"competences":[{"code":"200001","libelle":"Vendre"}]}
{"id":"o2","dateCreation":"2026-06-30T23:59:59Z","lieuTravail":{"commune":"11001"},"romeCode":"A1111","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 6 Mois"}
{"id":"o3","dateCreation":"2025-06-30T23:59:59Z","lieuTravail":{"commune":"11001"},"romeCode":"B2222","typeContrat":"CDI"}
{"id":"o4","dateCreation":"2026-03-01T08:00:00Z","dateActualisation":"2026-03-01T08:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"C3333","typeContrat":"CDI","nombrePostes":1}
{"id":"o4","dateCreation":"2026-03-01T08:00:00Z","dateActualisation":"2026-03-05T08:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"C3333","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 2 Mois","nombrePostes":3}
{"id":"o4","dateCreation":"2026-03-01T08:00:00Z","dateActualisation":"2026-03-03T08:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"C3333","typeContrat":"CDI","nombrePostes":7}
{"id":"o5","dateCreation":"2026-07-01T00:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"D4444","typeContrat":"CDI"}
{"id":"o6","dateCreation":"2026-01-01T10:00:00Z","lieuTravail":{"commune":"33001"},"romeCode":"E5555","typeContrat":"CDI","nombrePostes":0,"competences":[{"code":"100001","libelle":"Soigner"},{"code":"100002","libelle":"Accueillir"}]}
{"id":"o7","dateCreation":"2026-02-01T10:00:00Z","lieuTravail":{"commune":"33001"},"romeCode":"E5555","typeContrat":"CDD","typeContratLibelle":"Contrat à durée déterminée - 12 Mois","nombrePostes":2,"competences":[{"code":"100001","libelle":"Soigner"},{"code":"100001","libelle":"Soigner (bis)"},{"libelle":"Sans code"}]}
{"id":"o8","dateCreation":"2026-05-01T10:00:00Z","lieuTravail":{"commune":"99999"},"romeCode":"A1111","typeContrat":"CDI"}
{"id":"o9","dateCreation":"2026-04-01T10:00:00Z","lieuTravail":{"commune":"22001"},"romeCode":"D4444","typeContrat":"CDI","nombrePostes":3}
"#;

// The selected month is 2026-06; the 2026-05 row is ignored. E5555's de_abc and
// entrees_a_12m are masked.
const JOBSEEKERS: &str = "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m
2026-05,0001,bassin,A1111,999,999,999,999
2026-06,0001,bassin,A1111,30,50,20,40
2026-06,0001,bassin,B2222,10,20,15,10
2026-06,0002,bassin,F6666,12,25,5,8
2026-06,0003,bassin,E5555,3,*,2,*
";

// M1 in bassin 1 has smet masked; M4 in bassin 3 has met masked.
const BMO: &str = "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet
2026;M1;BMO 1;7;11;1;Un;40;20;*
2026;M6;BMO 6;7;11;1;Un;10;9;0
2026;M2;BMO 2;7;22;2;Deux;12;3;0
2026;M4;BMO 4;7;33;3;Trois;*;4;1
2026;M1;BMO 1;7;33;3;Trois;10;5;0
";

fn formation(
    id: &str,
    formacodes: &[&str],
    nsf: Option<&str>,
    commune: &str,
    sessions: &[(&str, &str, &str, Option<u32>)],
) -> String {
    let codes: String = formacodes.iter().map(|c| format!("<code-FORMACODE>{c}</code-FORMACODE>")).collect();
    let nsf = nsf.map(|n| format!("<code-NSF>{n}</code-NSF>")).unwrap_or_default();
    let sessions: String = sessions
        .iter()
        .map(|(id, debut, fin, places)| {
            let places =
                places.map(|p| format!("<recrutement><nb-places>{p}</nb-places></recrutement>")).unwrap_or_default();
            format!(
                "<session numero=\"{id}\"><periode><debut>{debut}</debut><fin>{fin}</fin></periode>{places}</session>"
            )
        })
        .collect();
    format!(
        "<formation numero=\"{id}\"><domaine-formation>{codes}{nsf}</domaine-formation><intitule-formation>Formation {id}</intitule-formation>\
         <action numero=\"{id}-A\"><lieu-de-formation><coordonnees><adresse><code-INSEE-commune>{commune}</code-INSEE-commune></adresse></coordonnees></lieu-de-formation>{sessions}</action>\
         <organisme-formation-responsable><nom-organisme>Organisme {id}</nom-organisme></organisme-formation-responsable></formation>\n"
    )
}

/// S1 [A,B] W12 edge start, ends in O. S2 [A,B] ends on D (F6 edge). S3 [C,D] starts the
/// day before W12, ends in F6, NSF given. S4 [C,D] places unknown, ends on F6's end (out).
/// S5 [D]. S6 [E], NSF unknown, in O. S7 only an unknown Formacode (no métier). S8 a
/// Formacode mapped to no ROME.
fn catalogue() -> String {
    let mut xml =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<lheo xmlns=\"http://lheo.gouv.fr/2.3\"><offres>\n");
    xml += &formation(
        "F1",
        &["11111", "22222"],
        None,
        "11001",
        &[("S1", "20250701", "20251231", Some(20)), ("S2", "20260630", "20260701", Some(10))],
    );
    xml += &formation("F3", &["33333", "44444"], Some("230"), "11001", &[("S3", "20250630", "20261231", Some(30))]);
    xml += &formation("F4", &["33333"], None, "22001", &[("S4", "20260110", "20270101", None)]);
    xml += &formation("F5", &["66666"], None, "22001", &[("S5", "20260301", "20260930", Some(12))]);
    xml += &formation("F6", &["55555"], None, "33001", &[("S6", "20250901", "20251215", Some(25))]);
    xml += &formation("F7", &["99999"], None, "33001", &[("S7", "20251001", "20260201", Some(6))]);
    xml += &formation("F8", &["77777"], None, "33001", &[("S8", "20260201", "20260501", Some(5))]);
    xml + "</offres></lheo>\n"
}

const OUTCOMES: &str = "session_id,entrees,entrees_prioritaires,sortants,en_emploi_6m,date_maj
S1,16,4,15,9,2026-06-01
S2,9,0,,,2026-06-01
S3,20,5,,,2026-06-01
S4,8,2,,,2026-06-01
S5,12,6,,,2026-06-01
S6,18,9,18,12,2026-06-01
S8,2,0,2,1,2026-06-01
";

fn pipeline(dir: &std::path::Path) -> skillgap_config::Pipeline {
    let catalogue = catalogue();
    let files = [
        ("communes.csv", COMMUNES),
        ("offers/offers.ndjson", OFFERS),
        ("jobseekers.csv", JOBSEEKERS),
        ("bmo.csv", BMO),
        ("rome.csv", ROME),
        ("formacode.csv", FORMACODE),
        ("nsf.csv", NSF),
        ("rome_formacode.csv", ROME_FORMACODE),
        ("lheo/catalogue.xml", catalogue.as_str()),
        ("outcomes.csv", OUTCOMES),
    ];
    let extra = "[thresholds]\nmin_denom = 10\nmax_reject_ratio = 0.5\n[inputs.lheo]\npaths = [\"lheo\"]\n[inputs.session_outcomes]\npath = \"outcomes.csv\"\n";
    load(&write_pipeline(dir, &files, extra))
}

async fn run(
    pipeline: &skillgap_config::Pipeline,
    out: &std::path::Path,
    as_of: Option<&str>,
    semester: Option<&str>,
) -> skillgap_run::RunReport {
    let request = RunRequest {
        pipeline: pipeline.clone(),
        as_of: as_of.map(|date| date.parse().unwrap()),
        semester: semester.map(|s| s.parse().unwrap()),
        output: Some(out.to_path_buf()),
    };
    skillgap_run::run(request).await.unwrap()
}

#[tokio::test]
async fn every_gold_column_matches_the_hand_computation() {
    let dir = tempfile::tempdir().unwrap();
    let pipeline = pipeline(dir.path());
    let out = dir.path().join("out");
    // 2025-S2 (D = 2026-01-01) first, so that 2026-S1 (D = 2026-07-01) has deltas.
    run(&pipeline, &out, None, Some("2025-S2")).await;
    let report = run(&pipeline, &out, None, Some("2026-S1")).await;
    assert_eq!(report.manifest.as_of.to_string(), "2026-07-01");
    // The manifest lists what the referentials lack: o8's commune, S7's Formacode, and the
    // ROME D4444 of two offers, whose BMO métier the survey does not code.
    let unknown: Vec<(&str, &str, &str, i64)> = report
        .manifest
        .unknown_codes
        .iter()
        .map(|u| (u.referential.as_str(), u.input.as_str(), u.code.as_str(), u.rows))
        .collect();
    assert_eq!(
        unknown,
        [("bmo", "offers", "D4444", 2), ("commune", "offers", "99999", 1), ("formacode", "lheo", "99999", 1)]
    );
    // Every stage in order, each with its CPU time and the peak RSS so far (Linux).
    let stages: Vec<&str> = report.manifest.stages.iter().map(|s| s.stage.as_str()).collect();
    assert_eq!(stages, ["ingest", "silver", "gold", "tests", "public", "sheets"]);
    let mut peak = 0.0;
    for stage in &report.manifest.stages {
        let (Some(cpu), Some(rss)) = (stage.cpu_seconds, stage.peak_rss_mib) else {
            panic!("{} lacks its CPU time or RSS", stage.stage)
        };
        assert!(cpu >= 0.0 && stage.seconds > 0.0, "{stage:?}");
        assert!(rss >= peak, "the peak RSS went down at {}: {rss} < {peak}", stage.stage);
        peak = rss;
    }
    let session = QuerySession::open(&out, None).await.unwrap();

    // ── competence_gap ─────────────────────────────────────────────────────────────
    // Rows: offers in W12 → (0001,A) (0002,C) (0002,D) (0003,E) (HORS,A); jobseekers →
    // (0001,B) (0002,F); W12 capacity adds nothing new. (0001,C) and (0001,D) only have
    // S3 (F6, not W12 — its capacity is NULL): no row.
    //
    // Demand: (0001,A) o1 2 postes CDI + o2 1 poste CDD 6 mois → 2 offers, 3 postes, 2
    // durable. (0002,C) o4 → 1, 3, 0. (0002,D) o9 → 1, 3, 1. (0003,E) o6 (0→1) + o7 (2),
    // both durable → 2, 3, 2. (HORS,A) o8 → 1, 1, 1.
    // Tension, eligible (0001,A) and (0001,B): ratio 2/40 = 0.05 and 0/10 = 0; écoulement
    // 20/50 = 0.4 and 15/20 = 0.75; part_difficiles 20/40 = 0.5 and 9/10 = 0.9. z: A = (1,
    // −1, −1), B = (−1, 1, 1) → indice A = 0.3 − 0.2 − 0.5 = −0.4 (level 2), B = 0.4 (4).
    // Supply (w = 1/|M|): (0001,A) and (0001,B) each get S1 20/2 + S2 10/2 = 15 places,
    // 16/2 + 9/2 = 12.5 entrees → fill 12.5/15; leavers in F6: S2 9/2 = 4.5; employment in
    // O: S1 sortants 15/2 = 7.5 < 10 → NULL. (0002,C) gets S4/2: places unknown → NULL,
    // entrees 4. (0002,D): S4/2 (entrees 4) + S5 (12 places, 12 entrees) → 12, 16, fill
    // 12/12 = 1, leavers S5 12. (0003,E): S6 25 places, 18 entrees (0.72), O: 12/18.
    // Gap: ecart = postes − capacity; dispo = de_a + leavers; priorité: (0001,B) en tension
    // first; (0002): C ecart 3, F 0, D −9.
    let gap = render(&session, "SELECT * FROM gold.competence_gap ORDER BY code_bassin, code_rome").await;
    expected::check("gold_tables/competence_gap", &gap);

    // ── specialty_gap ──────────────────────────────────────────────────────────────
    // Specialties: S1, S2 → 331 (NSF of 11111); S3 → 230 (given); S4 → 230 (33333);
    // S5 → 100 (66666); S6, S7 → NSF_INCONNUE; S8 → 100 (77777).
    // postes_lies: (0001,A) 3 × v(A,331) → 0001/331 = 3; (0002,C) 3 → 0002/230; (0002,D) 3
    // × 2/3 → 0002/230 (5 in all), × 1/3 → 0002/100 = 1; (HORS,A) 1 → HORS/331 (a row with
    // no session); E links to no NSF.
    // (0001,331): S1, S2: 30 places, 25 entrees, fill 25/30; under 80 %: S1 16/20 = 0.8 is
    // not under (strict), S2 0.9 → 0; priority 4/25; leavers S2 9; employment S1 9/15.
    // (0001,230): only S3 (F6): leavers coalesce(20, 30) = 20. (0002,230): S4: places
    // unknown, 8 entrees < 10 for the priority share. (0002,100): S5 12/12, priority 6/12,
    // leavers 12, coverage 12/1. (0003,NSF_INCONNUE): S6 + S7: 31 places, 18 entrees, fill
    // S6 only 18/25 = 0.72 (under 80 %: 1), priority 9/18, employment 12/18. (0003,100):
    // S8 5 places < 10 → fill NULL, 2/5 under 80 %, priority denominator 2 < 10.
    let specialty = render(&session, "SELECT * FROM gold.specialty_gap ORDER BY code_bassin, code_nsf").await;
    expected::check("gold_tables/specialty_gap", &specialty);

    // ── skills_demand ──────────────────────────────────────────────────────────────
    // o1 lists 200001 (1 of 2 offers of (0001,A)); o6 and o7 list 100001 (o7 twice: one
    // offer), o6 lists 100002; the competence without code is ignored. 100001's label is
    // its most frequent: « Soigner » (2) over « Soigner (bis) » (1).
    let skills =
        render(&session, "SELECT * FROM gold.skills_demand ORDER BY code_bassin, code_rome, code_competence").await;
    expected::check("gold_tables/skills_demand", &skills);

    // ── upcoming_sessions ──────────────────────────────────────────────────────────
    // Ending in F6: S2 (on D), S3, S5; S4 ends on F6's end (out).
    let upcoming = render(&session, "SELECT * FROM gold.upcoming_sessions").await;
    expected::check("gold_tables/upcoming_sessions", &upcoming);

    // ── bassin_summary ─────────────────────────────────────────────────────────────
    // 0001: 2 offers, 3 postes, de_a 30 + 10 (2/40 offers per jobseeker); BMO M1 40 + M6 10 = 50 projects, 29/50
    // difficult; sessions S1, S2 (30 places, 25 entrees, 25/30); priority 4/25; employment
    // 9/15; leavers S2 9 + S3 20; 1 of 2 evaluated rows en tension.
    // 0002: offers o4, o9: 2, 6 postes; de_a 12 (2/12; MIN_DENOM is 10); BMO M2 12, 3/12; sessions S4, S5: places
    // 12 (S4 unknown), entrees 20, fill S5 12/12, priority (2 + 6)/(8 + 12); leavers 12;
    // places known for 1 of 2 sessions.
    // 0003: o6, o7: 2, 3; de_a 3 (< 10: no ratio); BMO M4 met masked (not summed), M1 10 with 5 difficult:
    // 10, 0.5; sessions S6, S7, S8: 36 places, 20 entrees, fill (18 + 2)/(25 + 5), under
    // 80 %: S6 and S8, priority 9/20, employment S6 12/18; S7 and S8 have no métier, S8
    // because its Formacode maps to none; outcomes known for 2 of 3.
    // HORS_BASSIN: o8 (1 offer, unknown commune: not placed by commune).
    // No bassins GeoJSON here: no labels or départements.
    // Ranks: en tension 0001 only; difficult 0.58 > 0.5 > 0.25; fill 1 > 0.83 > 0.67;
    // employment 0.67 > 0.6.
    let summary = render(&session, "SELECT * FROM gold.bassin_summary ORDER BY code_bassin").await;
    expected::check("gold_tables/bassin_summary", &summary);

    // ── etat_des_lieux ─────────────────────────────────────────────────────────────
    // 2025-S2 (D = 2026-01-01, W12 = [2025-01-01, 2026-01-01), no jobseekers month ≤
    // 2025-12): offers o1 (0001,A) 2 postes and o3 (0001,B) 1; capacity S1 10 + 10 (A, B),
    // S3 15 + 15 (C, D in 0001), S6 25 (E). 2026-S1 deltas: (0001,A) postes 3 − 2, capacity
    // 15 − 10, ecart −12 − (2 − 10); (0001,B) 0 − 1, 15 − 10, −15 − (1 − 10); (0003,E)
    // 3 − 0, 25 − 25, −22 − (0 − 25); de_a had no value in 2025-S2. Without jobseekers, that
    // run's index rests on part_difficiles alone (0.5 and 0.9: z = −1 and 1), so the index
    // moves by −0.4 − (−1) = 0.6 for A and 0.4 − 1 = −0.6 for B.
    let snapshots = render(
        &session,
        "SELECT semestre, CAST(date_reference AS VARCHAR), code_bassin, code_rome, postes, capacite_12m, ecart, delta_postes, delta_de_a, delta_capacite_12m, delta_indice_tension, delta_ecart FROM gold.etat_des_lieux",
    )
    .await;
    expected::check("gold_tables/etat_des_lieux", &snapshots);
    // The snapshot rows repeat competence_gap's columns exactly.
    let same = render(&session, "SELECT COUNT(*) FROM (SELECT * EXCEPT (semestre, date_reference, delta_postes, delta_de_a, delta_capacite_12m, delta_indice_tension, delta_ecart) FROM gold.etat_des_lieux WHERE semestre = '2026-S1' EXCEPT SELECT * FROM gold.competence_gap)").await;
    assert_eq!(same.rows, [["0"]]);

    // ── public export ──────────────────────────────────────────────────────────────
    // (0003,E): de_a 3 and sorties 2 are person counts under 5 → suppressed with what
    // reveals them. (0001,A/B): leavers 4.5 → suppressed, and the available competences
    // with them. (0002,C): 4 entrees → suppressed; it is the only one in bassin 0002, so
    // the next smallest, (0002,D)'s 16, goes too, with its fill rate. `secret` names the
    // fields, never why. What shows of persons is rounded to tens (half away from zero:
    // 12.5 → 10, 15 → 20, 5 → 10, 18 → 20), and a fill rate is the rounded entrants over
    // the capacity (10 / 15, 20 / 25).
    let public = render(&session, "SELECT code_bassin, code_rome, de_a, sorties_abc_12m, entrees_12m, taux_remplissage, sortants_prevus_6m, competences_disponibles, secret FROM public.competence_gap").await;
    expected::check("gold_tables/public.competence_gap", &public);
    // Bassin totals: 0003's de_a 3 is suppressed, and the region total would give it back
    // from the others, so the smallest other (0002's 12) goes too, each with the
    // offers-per-jobseeker ratio that would give it back.
    let public_summary =
        render(&session, "SELECT code_bassin, de_a, secret FROM public.bassin_summary ORDER BY code_bassin").await;
    expected::check("gold_tables/public.bassin_summary", &public_summary);
    // The audit found nothing the published figures pin down in this run.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("current/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["audit"]["added_by_audit"], 0, "{}", manifest["audit"]);
    assert!(manifest["audit"]["suppressed"].as_u64().unwrap() > 0, "{}", manifest["audit"]);

    // A nightly run afterwards carries both snapshots unchanged; semester runs are kept.
    let before = render(&session, "SELECT * FROM gold.etat_des_lieux").await;
    run(&pipeline, &out, Some("2026-07-02"), None).await;
    let after = render(&QuerySession::open(&out, None).await.unwrap(), "SELECT * FROM gold.etat_des_lieux").await;
    assert_eq!(before, after);
    let kept = std::fs::read_dir(out.join("runs"))
        .unwrap()
        .filter(|e| e.as_ref().unwrap().path().join(skillgap_sinks::KEEP_MARKER).exists())
        .count();
    assert_eq!(kept, 2);
}
