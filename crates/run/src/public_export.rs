//! The public export and its disclosure audit: each gold table's public SQL (suppression,
//! rounding), then the audit over all the public tables together; while a suppressed
//! count is pinned too closely, the published count that the audit names is suppressed
//! too and the export rebuilt. Nothing is written before the audit passes.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use datafusion::prelude::SessionContext;
use skillgap_models::audit::{AuditCache, AuditReport, AuditSettings, audit_public_tables, split_cell};
use skillgap_models::{
    Parameters, Secrecy, marts, public_sql, public_table_spec, register_batches, run_secrecy_checks, table_spec,
};
use skillgap_sinks::{AuditSummary, Manifest, OutputReport};

use crate::error::{Error, Result};
use crate::output::PublishTarget;
use crate::query::QuerySession;
use crate::transform::{model_error, register_layer, report, write_table};

/// Rounds of additional suppression before the run gives up (each round suppresses at
/// least one more cell).
const MAX_ROUNDS: usize = 50;

/// Forced suppressions: table → column → keys.
type Forced = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// Builds every public table in memory under `forced`.
async fn build_in_memory(context: &SessionContext, secrecy: Secrecy, forced: &Forced) -> Result<()> {
    let none = BTreeMap::new();
    for table in marts::gold_tables() {
        let spec = table_spec(table)?;
        let Some(sql) = public_sql(spec, secrecy, forced.get(&table.to_string()).unwrap_or(&none)) else { continue };
        let name = format!("public.{table}");
        let frame = context.sql(&sql).await.map_err(model_error(&name))?;
        let schema = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(model_error(&name))?;
        register_batches(context, &name, schema, batches)?;
    }
    Ok(())
}

/// Builds, audits and writes the public tables of a run whose gold tables are registered
/// in `context`.
pub async fn build_public(
    context: &SessionContext,
    run_dir: &Path,
    parameters: &Parameters,
) -> Result<(Vec<OutputReport>, AuditSummary)> {
    let secrecy = Secrecy { min_count: parameters.min_count, rounding_base: parameters.rounding_base };
    let settings = AuditSettings::new(parameters.as_of, secrecy, parameters.protection_range)?;
    let mut forced = Forced::new();
    // What the table-by-table rules alone suppressed: the first audit's count.
    let mut suppressed_before_audit = None;
    let mut round = 0;
    let mut cache = AuditCache::default();
    let audited = loop {
        build_in_memory(context, settings.secrecy, &forced).await?;
        let report = audit_public_tables(context, &settings, &mut cache).await?;
        tracing::info!(
            cells = report.cells,
            suppressed = report.suppressed,
            equations = report.equations,
            at_risk = report.at_risk.len(),
            "disclosure audit"
        );
        suppressed_before_audit.get_or_insert(report.suppressed);
        if report.at_risk.is_empty() {
            break report;
        }
        let mut added = false;
        for risk in &report.at_risk {
            tracing::debug!(cell = %risk.cell, remedy = ?risk.remedy, "at risk: {risk}");
            if let Some((table, key, column)) = risk.remedy.as_deref().and_then(split_cell) {
                added |= forced
                    .entry(table.to_owned())
                    .or_default()
                    .entry(column.to_owned())
                    .or_default()
                    .insert(key.to_owned());
            }
        }
        round += 1;
        if !added || round > MAX_ROUNDS {
            return Err(Error::Disclosure { cells: report.at_risk });
        }
    };
    let mut outputs = Vec::new();
    for table in marts::gold_tables() {
        let spec = table_spec(table)?;
        let Some(public_spec) = public_table_spec(spec) else { continue };
        let name = format!("public.{table}");
        run_secrecy_checks(context, spec, &name, settings.secrecy).await?;
        let frame = context.table(name.as_str()).await.map_err(model_error(&name))?;
        let (written, _) = write_table(run_dir, &public_spec, frame).await?;
        outputs.push(report(run_dir, &public_spec, &written));
        // The sheets read the written table.
        context.deregister_table(name.as_str()).map_err(model_error(&name))?;
        register_layer(context, run_dir, "public", &[table]).await?;
    }
    let summary = AuditSummary {
        cells: audited.cells,
        suppressed_before_audit: suppressed_before_audit.unwrap_or(audited.suppressed),
        suppressed: audited.suppressed,
        added_by_audit: forced.values().flat_map(BTreeMap::values).map(BTreeSet::len).sum(),
        equations: audited.equations,
        programmes: audited.programmes,
        protection_range: settings.protection_range,
        rounding_base: settings.secrecy.rounding_base,
    };
    Ok((outputs, summary))
}

/// `skillgap audit`: the disclosure audit of a published run's public tables, with the
/// thresholds of its manifest (`protection_range` overrides the run's).
pub async fn audit_run(
    output: &PublishTarget,
    run: Option<&str>,
    protection_range: Option<f64>,
) -> Result<(String, AuditReport)> {
    let run = output.resolve_run(run).await?;
    let downloads = std::env::temp_dir().join(format!("skillgap-audit-{}", std::process::id()));
    let run_dir = output.local_copy(&run, &["manifest.json"], &downloads).await?;
    let manifest = Manifest::read(&run_dir);
    if downloads.exists() {
        let _ = std::fs::remove_dir_all(&downloads);
    }
    let manifest = manifest?;
    let as_of = manifest.as_of;
    let thresholds = &manifest.thresholds;
    let secrecy = Secrecy { min_count: thresholds.min_count, rounding_base: thresholds.rounding_base };
    let protection = protection_range.or(thresholds.protection_range).unwrap_or(thresholds.min_count as f64);
    let session = QuerySession::open_output(output, Some(&run)).await?;
    let report = audit_public_tables(
        session.context(),
        &AuditSettings::new(as_of, secrecy, protection)?,
        &mut AuditCache::default(),
    )
    .await?;
    Ok((run, report))
}
