//! Referentials are validated: bad codes, unknown NSF, crosswalk rows naming unknown codes
//! and duplicate keys are rejects with their line; the rest is used.

use crate::support::write_pipeline;

#[tokio::test]
async fn bad_referential_rows_are_rejects_with_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        ("communes.csv", "code_commune,libelle_commune,code_bassin\n11001,Un,0001\n"),
        (
            "offers/a.ndjson",
            "{\"id\":\"o\",\"dateCreation\":\"2026-03-01T10:00:00Z\",\"lieuTravail\":{\"commune\":\"11001\"},\"romeCode\":\"A1111\"}\n",
        ),
        (
            "jobseekers.csv",
            "periode,code_territoire,type_territoire,code_rome,de_a,de_abc,sorties_abc_12m,entrees_a_12m\n",
        ),
        ("bmo.csv", "annee;code_metier_bmo;nom_metier_bmo;REG;Dept;BE26;NOMBE26;met;xmet;smet\n"),
        (
            "rome.csv",
            "code_rome,libelle_rome,code_metier_bmo,code_fap,secteur\nA1111,A,M1,M1Z,santé\nA11,Court,M1,M1Z,santé\nA1111,Encore,M1,M1Z,santé\n",
        ),
        ("nsf.csv", "code_nsf,libelle_nsf\n331,Santé\n33,Trop court\n331,Doublon\n"),
        (
            "formacode.csv",
            "formacode,libelle,code_nsf\n11111,A,331\n2222,Court,331\n33333,NSF inconnue,999\n44444,Sans NSF,\n",
        ),
        ("rome_formacode.csv", "code_rome,formacode\nA1111,11111\nZ9999,11111\nA1111,55555\nA1111,11111\n"),
    ];
    let path = write_pipeline(dir.path(), &files, "[thresholds]\nmax_reject_ratio = 0.8");
    let report = crate::support::run_at(&path, "2026-07-01").await.unwrap();
    let session = skillgap_run::QuerySession::open(&report.output_dir, None).await.unwrap();
    let rejects = session.query("SELECT input || ' ' || location || ' ' || reason AS r FROM silver.rejects WHERE input <> 'offers' ORDER BY 1").await.unwrap();
    let lines: Vec<String> = rejects
        .iter()
        .flat_map(|b| {
            arrow::array::AsArray::as_string::<i32>(b.column(0)).iter().flatten().map(str::to_owned).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        lines,
        [
            "formacode line 3 bad_formacode",
            "formacode line 4 bad_nsf",
            "nsf line 3 bad_nsf",
            "nsf line 4 duplicate_key",
            "rome line 3 bad_rome",
            "rome line 4 duplicate_key",
            "rome_formacode line 3 bad_rome",
            "rome_formacode line 4 bad_formacode",
            "rome_formacode line 5 duplicate_key",
        ]
    );
    let manifest = &report.manifest;
    let formacode = manifest.inputs.iter().find(|i| i.name == "formacode").unwrap();
    assert_eq!((formacode.rows_read, formacode.rows_rejected, formacode.rows_kept), (4, 2, 2));
}
