//! The HTML sheet and the regional index: one self-contained file each (inline CSS and
//! SVG, no script, a Content-Security-Policy that forbids every request), a print
//! stylesheet for A4, headings and table headers for screen readers. Templates are maud
//! macros compiled with the binary: every text is escaped unless marked otherwise.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::data::{Bassin, RunTables};
use crate::format::{date, integer, percent};
use crate::sections::{self, Section, glossary};
use crate::svg::{Area, Bar, bars, map};

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: "Marianne", "Helvetica Neue", Arial, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #161616; line-height: 1.4; }
h1 { font-size: 1.6rem; margin: 0 0 .25rem; } h2 { font-size: 1.2rem; border-bottom: 2px solid #000091; margin-top: 1.6rem; }
.meta, .note, .intro { color: #3a3a3a; font-size: .9rem; }
.missing { border-left: 4px solid #b45309; padding-left: .5rem; color: #1f1f1f; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: .85rem; }
th, td { border-bottom: 1px solid #ddd; padding: .25rem .4rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
th { background: #f0f0f7; }
svg.chart { width: 100%; max-width: 44rem; height: auto; display: block; }
svg.map { width: 100%; max-width: 26rem; height: auto; display: block; }
.legend span { display: inline-block; margin-right: .8rem; font-size: .85rem; }
.legend i { display: inline-block; width: .9rem; height: .9rem; margin-right: .25rem; border: 1px solid #999; vertical-align: middle; }
dl dt { font-weight: bold; margin-top: .4rem; } dl dd { margin-left: 1rem; }
.retenir { border: 2px solid #000091; background: #f5f5fe; padding: 0 1rem .5rem; margin-top: 1rem; }
.retenir h2 { border: 0; margin-top: .8rem; } .retenir li { margin: .3rem 0; }
@media screen and (max-width: 40rem) {
  /* A phone: each table row becomes a card, each value under its column's name. */
  .table table, .table thead, .table tbody, .table tr, .table th, .table td, .table caption { display: block; }
  .table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); }
  .table tr { border: 1px solid #ddd; border-radius: .25rem; margin: 0 0 .5rem; padding: .3rem .5rem; }
  .table tbody th { background: none; border: 0; padding: 0 0 .2rem; font-weight: bold; }
  .table td, .table td.n { border: 0; padding: .1rem 0; display: flex; justify-content: space-between; gap: .75rem; text-align: right; white-space: normal; overflow-wrap: anywhere; }
  .table td::before { content: attr(data-column); text-align: left; color: #3a3a3a; flex: 0 0 45%; }
  body { overflow-wrap: anywhere; }
}
@media print {
  @page { size: A4; margin: 10mm 10mm 14mm; }
  body { max-width: none; padding: 0; font-size: 9pt; line-height: 1.25; }
  h1 { font-size: 14pt; } h2 { font-size: 11pt; margin-top: 3mm; break-after: avoid; } h3 { font-size: 10pt; }
  table { font-size: 9pt; } th, td { padding: .3mm 1mm; }
  caption.intro, .note, .meta, .legend span { font-size: 9pt; }
  svg.chart { max-width: 150mm; } svg.map { max-width: 70mm; }
  dl { columns: 2; column-gap: 6mm; font-size: 9pt; } dl dt { margin-top: 1mm; }
  tr, svg { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
}
"#;

/// A CSS string holding `text`: every character but letters, digits, spaces and plain
/// punctuation written as a hexadecimal escape, so that no input text can close the string
/// or the style element.
fn css_string(text: &str) -> String {
    let mut quoted = String::from("\"");
    for character in text.chars() {
        if character.is_alphanumeric() || " -–—·,.:()'/".contains(character) {
            quoted.push(character);
        } else {
            quoted.push_str(&format!("\\{:x} ", u32::from(character)));
        }
    }
    quoted.push('"');
    quoted
}

/// The printed pages' footer: `footer` on the left, the page and the page count on the right.
fn print_footer(footer: &str) -> String {
    format!(
        "@media print {{ @page {{ @bottom-left {{ content: {}; font-size: 9pt; color: #3a3a3a; }} @bottom-right {{ content: \"Page \" counter(page) \" / \" counter(pages); font-size: 9pt; color: #3a3a3a; }} }} }}",
        css_string(footer)
    )
}

/// Requests of any kind are forbidden: the page is complete in itself.
const POLICY: &str = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

/// A page titled `title`, whose printed pages carry `footer`.
fn page(title: &str, footer: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="fr" {
            head {
                meta charset="utf-8";
                meta http-equiv="Content-Security-Policy" content=(POLICY);
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) }
                style { (PreEscaped(STYLE)) (PreEscaped(print_footer(footer))) }
            }
            body { (body) }
        }
    }
}

fn table(section: &Section) -> Markup {
    html! {
        @if section.rows.is_empty() {
            p.note { (section.note.clone().unwrap_or_else(|| "Aucune donnée pour ce bassin.".to_owned())) }
        } @else {
            div.table {
                table {
                    caption.intro { (section.intro) }
                    thead { tr { @for header in &section.headers { th scope="col" { (header) } } } }
                    tbody {
                        @for row in &section.rows {
                            tr {
                                @for (index, cell) in row.iter().enumerate() {
                                    @let column = section.headers.get(index).copied().unwrap_or("");
                                    @if index == 0 {
                                        th scope="row" data-column=(column) { (cell.text) }
                                    } @else if cell.kind.is_some() {
                                        td.n data-column=(column) { (cell.text) }
                                    } @else {
                                        td data-column=(column) { (cell.text) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if let Some(note) = &section.note { p.note { (note) } }
        }
    }
}

/// One bassin's sheet.
pub fn sheet(tables: &RunTables, bassin: &Bassin, sections: &[Section], gap: &[Bar], min_denom: f64) -> Markup {
    let sources = sections::sources(tables);
    let areas: Vec<Area<'_>> = tables
        .bassins
        .iter()
        .filter_map(|other| {
            Some(Area {
                code: &other.code,
                title: other.label.clone(),
                outline: other.outline.as_ref()?,
                fill: if other.code == bassin.code { "#000091" } else { "#d9d9e8" },
                highlighted: other.code == bassin.code,
                link: None,
            })
        })
        .collect();
    page(
        &format!("Fiche bassin — {}", bassin.label),
        &format!("Fiche bassin — {} ({}) · situation au {}", bassin.label, bassin.code, date(tables.as_of())),
        html! {
            header {
                h1 { "Fiche bassin — " (bassin.label) }
                p.meta { (sections::dates_line(tables, bassin)) }
                p.meta { (sections::quality_line(tables, bassin)) }
                @for note in tables.missing_figures() { p.meta.missing { (note) } }
            }
            main {
                @for section in sections {
                    @if section.id == crate::takeaways::ID {
                        aside.retenir id=(section.id) aria-labelledby=(format!("{}-titre", section.id)) {
                            h2 id=(format!("{}-titre", section.id)) { (section.title) }
                            ul { @for row in &section.rows { @if let Some(cell) = row.first() { li { (cell.text) } } } }
                        }
                    } @else {
                        section id=(section.id) aria-labelledby=(format!("{}-titre", section.id)) {
                            h2 id=(format!("{}-titre", section.id)) { (section.title) }
                            (table(section))
                            @if section.id == sections::METIERS && !gap.is_empty() {
                                (bars("Écart entre postes offerts et places de formation", "Barres horizontales : à droite (rouge), plus de postes que de places ; à gauche (bleu), plus de places que de postes. La valeur est écrite au bout de chaque barre.", gap))
                            }
                        }
                    }
                }
                section id="carte" aria-labelledby="carte-titre" {
                    h2 id="carte-titre" { "Carte" }
                    (map(&format!("Le bassin {} dans sa région", bassin.label), "Les bassins de la région en gris clair ; le bassin de la fiche en bleu foncé, bordé de noir.", &areas))
                }
                section id="methode" aria-labelledby="methode-titre" {
                    h2 id="methode-titre" { "Méthode et secret statistique" }
                    dl { @for (term, definition) in glossary(min_denom, tables.rounding_base()) { dt { (term) } dd { (definition) } } }
                    h3 { "Sources" }
                    ul { @for source in &sources { li { "Source : " (source) ". Licence Ouverte / Open Licence (Etalab)." } } }
                }
            }
        },
    )
}

/// The colour classes of the regional map (share of métiers en tension).
pub const CLASSES: [(f64, &str, &str); 5] = [
    (0.0, "#f1eef6", "moins de 20 %"),
    (0.2, "#bdc9e1", "20 à 30 %"),
    (0.3, "#74a9cf", "30 à 40 %"),
    (0.4, "#2b8cbe", "40 à 50 %"),
    (0.5, "#045a8d", "50 % et plus"),
];

fn class_of(share: Option<f64>) -> (&'static str, &'static str) {
    match share {
        None => ("#ffffff", "non évalué"),
        Some(value) => CLASSES
            .iter()
            .rev()
            .find(|(low, _, _)| value >= *low)
            .map_or((CLASSES[0].1, CLASSES[0].2), |(_, colour, label)| (*colour, *label)),
    }
}

/// The regional index: the choropleth and one line per bassin with links.
pub fn index(tables: &RunTables, region: &str, files: &[(String, String, String)]) -> Markup {
    let share_of =
        |code: &str| RunTables::of(&tables.summary, code).first().and_then(|r| r.number("part_metiers_en_tension"));
    let areas: Vec<Area<'_>> = tables
        .bassins
        .iter()
        .filter_map(|bassin| {
            let share = share_of(&bassin.code);
            let (fill, label) = class_of(share);
            Some(Area {
                code: &bassin.code,
                title: format!("{} : {}", bassin.label, share.map_or_else(|| label.to_owned(), percent)),
                outline: bassin.outline.as_ref()?,
                fill,
                highlighted: false,
                link: files.iter().find(|(code, _, _)| *code == bassin.code).map(|(_, html, _)| html.clone()),
            })
        })
        .collect();
    page(
        &format!("Diagnostic des compétences — {region}"),
        &format!("Diagnostic territorial des compétences — {region} · situation au {}", date(tables.as_of())),
        html! {
            header {
                h1 { "Diagnostic territorial des compétences — " (region) }
                p.meta { "Situation au " (date(tables.as_of())) " · une fiche par bassin d'emploi" }
            }
            main {
                section aria-labelledby="carte-titre" {
                    h2 id="carte-titre" { "Part des métiers en tension par bassin" }
                    (map("Part des métiers en tension par bassin", "Carte des bassins de la région, du plus clair (moins de 20 % des métiers évalués en tension) au plus foncé (50 % et plus) ; chaque bassin mène à sa fiche ; les valeurs sont aussi dans le tableau ci-dessous.", &areas))
                    p.legend { @for (_, colour, label) in CLASSES { span { i style=(format!("background:{colour}")) {} (label) } } span { i style="background:#ffffff" {} "non évalué" } }
                }
                section aria-labelledby="liste-titre" {
                    h2 id="liste-titre" { "Les bassins" }
                    div.table { table {
                        thead { tr { th scope="col" { "Bassin" } th scope="col" { "Offres (12 mois)" } th scope="col" { "Métiers en tension" } th scope="col" { "Taux de remplissage" } th scope="col" { "Fiches" } } }
                        tbody {
                            @for bassin in &tables.bassins {
                                @let row = RunTables::of(&tables.summary, &bassin.code);
                                @let row = row.first();
                                tr {
                                    th scope="row" { (bassin.label) " (" (bassin.code) ")" }
                                    td.n data-column="Offres (12 mois)" { (row.and_then(|r| r.number("offres")).map(integer).unwrap_or_default()) }
                                    td.n data-column="Métiers en tension" { (share_of(&bassin.code).map_or_else(|| "n.s.".to_owned(), percent)) }
                                    td.n data-column="Taux de remplissage" { (row.and_then(|r| r.number("taux_remplissage")).map_or_else(|| "n.s.".to_owned(), percent)) }
                                    td data-column="Fiches" { @if let Some((_, html, xlsx)) = files.iter().find(|(code, _, _)| *code == bassin.code) { a href=(html) { "HTML" } " · " a href=(xlsx) { "XLSX" } } }
                                }
                            }
                        }
                    } }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_input_text_in_a_css_string_can_close_neither_the_string_nor_the_style() {
        assert_eq!(css_string("Lens – Hénin (0701)"), "\"Lens – Hénin (0701)\"");
        let hostile = css_string("a\"; } </style><script>x</script>\\");
        assert_eq!(hostile.matches('"').count(), 2, "{hostile}");
        assert!(!hostile.contains('<') && !hostile.contains('}') && !hostile.contains(';'), "{hostile}");
        assert!(hostile.ends_with("\\5c \""), "{hostile}");
    }
}
