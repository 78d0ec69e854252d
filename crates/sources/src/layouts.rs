//! The registry of tabular inputs: each one's canonical columns, the header each has in
//! the layout `inputs.md` documents (a pipeline maps other headers with `columns`), and
//! which are required. Ingestion, the fixture generator and the docs read this one list.

/// One column of a tabular input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// Canonical name (the bronze column).
    pub name: &'static str,
    /// Its header in the documented layout; `PREFIX*` matches `PREFIX` + two digits.
    pub header: &'static str,
    /// Whether a file without it is refused.
    pub required: bool,
}

/// The columns of one tabular input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableLayout {
    /// Input name (as in rejects and the manifest).
    pub input: &'static str,
    /// Its columns, in bronze order.
    pub columns: &'static [Column],
}

const fn required(name: &'static str) -> Column {
    Column { name, header: name, required: true }
}

const fn optional(name: &'static str) -> Column {
    Column { name, header: name, required: false }
}

/// Every tabular input, in reading order.
pub const TABLE_LAYOUTS: &[TableLayout] = &[
    // The bassin's label and the commune's département serve grids dissolved from commune
    // polygons (`territories.commune_polygons`); France Travail's commune → BMO bassin
    // table has no commune label.
    TableLayout {
        input: "communes",
        columns: &[
            required("code_commune"),
            optional("libelle_commune"),
            required("code_bassin"),
            optional("code_postal"),
            optional("libelle_bassin"),
            optional("code_departement"),
        ],
    },
    TableLayout {
        input: "rome",
        columns: &[
            required("code_rome"),
            required("libelle_rome"),
            required("code_metier_bmo"),
            required("code_fap"),
            required("secteur"),
        ],
    },
    TableLayout { input: "rome_formacode", columns: &[required("code_rome"), required("formacode")] },
    TableLayout { input: "formacode", columns: &[required("formacode"), required("libelle"), required("code_nsf")] },
    TableLayout { input: "nsf", columns: &[required("code_nsf"), required("libelle_nsf")] },
    TableLayout {
        input: "jobseekers",
        columns: &[
            required("periode"),
            required("code_territoire"),
            required("type_territoire"),
            required("code_rome"),
            required("de_a"),
            required("de_abc"),
            required("sorties_abc_12m"),
            required("entrees_a_12m"),
        ],
    },
    // France Travail's open-data layout; the year is in the bassin columns' names
    // (`BE24`, `NOMBE24`), so files of any year load without a change.
    TableLayout {
        input: "bmo",
        columns: &[
            required("annee"),
            required("code_metier_bmo"),
            optional("nom_metier_bmo"),
            Column { name: "code_region", header: "REG", required: false },
            Column { name: "code_departement", header: "Dept", required: false },
            Column { name: "code_bassin_bmo", header: "BE*", required: true },
            Column { name: "nom_bassin_bmo", header: "NOMBE*", required: false },
            required("met"),
            required("xmet"),
            required("smet"),
        ],
    },
    TableLayout {
        input: "bmo_bassins",
        columns: &[required("code_bassin_bmo"), required("code_bassin"), required("poids")],
    },
    TableLayout {
        input: "session_outcomes",
        columns: &[
            required("session_id"),
            required("entrees"),
            required("entrees_prioritaires"),
            required("sortants"),
            required("en_emploi_6m"),
            optional("date_maj"),
        ],
    },
    TableLayout {
        input: "projections",
        columns: &[
            required("code_fap"),
            required("libelle_fap"),
            required("region"),
            required("emploi_2019"),
            required("creations_nettes"),
            required("departs_fin_carriere"),
            required("jeunes_debutants"),
            required("solde_mobilites"),
            required("desequilibre"),
            required("postes_a_pourvoir"),
            optional("niveau_tension_2019"),
        ],
    },
    TableLayout {
        input: "employment",
        columns: &[required("code_territoire"), required("type_territoire"), required("code_fap"), required("emploi")],
    },
];

/// The layout of a tabular input.
pub fn table_layout(input: &str) -> Option<&'static TableLayout> {
    TABLE_LAYOUTS.iter().find(|layout| layout.input == input)
}
