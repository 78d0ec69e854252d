//! The plan codecs of skillgap's cluster: Ballista's own, plus skillgap's SQL functions
//! (see [`skillgap_models::encode_function`]). Client, scheduler and executors must all use
//! them: a stock Ballista executor cannot run a plan that places points in bassins.

use std::sync::Arc;

use ballista_core::serde::{BallistaLogicalExtensionCodec, BallistaPhysicalExtensionCodec};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::TableProvider;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::FileFormatFactory;
use datafusion::error::{DataFusionError, Result};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{AggregateUDF, Extension, LogicalPlan, ScalarUDF, WindowUDF};
use datafusion::physical_plan::ExecutionPlan;
use datafusion_proto::logical_plan::LogicalExtensionCodec;
use datafusion_proto::physical_plan::{PhysicalExtensionCodec, PhysicalProtoConverterExtension};

/// Encodes skillgap's function `function` (nothing for DataFusion's).
fn encode_udf(function: &ScalarUDF, buf: &mut Vec<u8>) {
    buf.extend(skillgap_models::encode_function(function));
}

/// Rebuilds skillgap's function `name`, else asks Ballista's codec.
fn decode_udf(name: &str, buf: &[u8], fallback: impl FnOnce() -> Result<Arc<ScalarUDF>>) -> Result<Arc<ScalarUDF>> {
    match skillgap_models::decode_function(name, buf) {
        Some(Ok(function)) => Ok(Arc::new(function)),
        Some(Err(message)) => {
            Err(DataFusionError::Internal(format!("cannot rebuild the function {name} of a shipped plan: {message}")))
        }
        None => fallback(),
    }
}

/// The function methods both codecs share: skillgap's scalar functions by
/// [`encode_udf`]/[`decode_udf`], aggregate and window functions by Ballista's codec.
macro_rules! function_methods {
    () => {
        fn try_decode_udf(&self, name: &str, buf: &[u8]) -> Result<Arc<ScalarUDF>> {
            decode_udf(name, buf, || self.inner.try_decode_udf(name, buf))
        }
        fn try_encode_udf(&self, node: &ScalarUDF, buf: &mut Vec<u8>) -> Result<()> {
            encode_udf(node, buf);
            Ok(())
        }
        fn try_decode_udaf(&self, name: &str, buf: &[u8]) -> Result<Arc<AggregateUDF>> {
            self.inner.try_decode_udaf(name, buf)
        }
        fn try_encode_udaf(&self, node: &AggregateUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.inner.try_encode_udaf(node, buf)
        }
        fn try_decode_udwf(&self, name: &str, buf: &[u8]) -> Result<Arc<WindowUDF>> {
            self.inner.try_decode_udwf(name, buf)
        }
        fn try_encode_udwf(&self, node: &WindowUDF, buf: &mut Vec<u8>) -> Result<()> {
            self.inner.try_encode_udwf(node, buf)
        }
    };
}

/// Ballista's logical codec with skillgap's functions.
#[derive(Debug, Default)]
pub struct SkillgapLogicalCodec {
    inner: BallistaLogicalExtensionCodec,
}

impl LogicalExtensionCodec for SkillgapLogicalCodec {
    fn try_decode(&self, buf: &[u8], inputs: &[LogicalPlan], ctx: &TaskContext) -> Result<Extension> {
        self.inner.try_decode(buf, inputs, ctx)
    }
    fn try_encode(&self, node: &Extension, buf: &mut Vec<u8>) -> Result<()> {
        self.inner.try_encode(node, buf)
    }
    fn try_decode_table_provider(
        &self,
        buf: &[u8],
        table_ref: &TableReference,
        schema: SchemaRef,
        ctx: &TaskContext,
    ) -> Result<Arc<dyn TableProvider>> {
        self.inner.try_decode_table_provider(buf, table_ref, schema, ctx)
    }
    fn try_encode_table_provider(
        &self,
        table_ref: &TableReference,
        node: Arc<dyn TableProvider>,
        buf: &mut Vec<u8>,
    ) -> Result<()> {
        self.inner.try_encode_table_provider(table_ref, node, buf)
    }
    fn try_decode_file_format(&self, buf: &[u8], ctx: &TaskContext) -> Result<Arc<dyn FileFormatFactory>> {
        self.inner.try_decode_file_format(buf, ctx)
    }
    fn try_encode_file_format(&self, buf: &mut Vec<u8>, node: Arc<dyn FileFormatFactory>) -> Result<()> {
        self.inner.try_encode_file_format(buf, node)
    }
    function_methods!();
}

/// Ballista's physical codec with skillgap's functions.
#[derive(Debug, Default)]
pub struct SkillgapPhysicalCodec {
    inner: BallistaPhysicalExtensionCodec,
}

impl PhysicalExtensionCodec for SkillgapPhysicalCodec {
    fn try_decode(
        &self,
        buf: &[u8],
        inputs: &[Arc<dyn ExecutionPlan>],
        ctx: &TaskContext,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        self.inner.try_decode(buf, inputs, ctx, proto_converter)
    }
    fn try_encode(
        &self,
        node: Arc<dyn ExecutionPlan>,
        buf: &mut Vec<u8>,
        proto_converter: &dyn PhysicalProtoConverterExtension,
    ) -> Result<()> {
        self.inner.try_encode(node, buf, proto_converter)
    }
    function_methods!();
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::array::AsArray;
    use datafusion::prelude::SessionContext;
    use datafusion_proto::bytes::{
        logical_plan_from_bytes_with_extension_codec, logical_plan_to_bytes_with_extension_codec,
    };
    use geo::{MultiPolygon, polygon};
    use skillgap_models::{BassinIndex, register_geocoder};

    #[tokio::test]
    async fn a_plan_placing_points_reaches_a_process_that_never_saw_the_grid() {
        let sender = SessionContext::new();
        let square =
            MultiPolygon::new(vec![polygon![(x: 0.0, y: 0.0), (x: 1.0, y: 0.0), (x: 1.0, y: 1.0), (x: 0.0, y: 1.0)]]);
        register_geocoder(&sender, Arc::new(BassinIndex::new(vec![("B1".to_owned(), square)])));
        let plan = sender
            .sql("SELECT bassin_at_point(x, y) AS bassin FROM (VALUES (0.5, 0.5), (5.0, 5.0)) t(x, y)")
            .await
            .unwrap()
            .logical_plan()
            .clone();
        let codec = SkillgapLogicalCodec::default();
        let bytes = logical_plan_to_bytes_with_extension_codec(&plan, &codec).unwrap();

        let receiver = SessionContext::new();
        let decoded = logical_plan_from_bytes_with_extension_codec(&bytes, &receiver.task_ctx(), &codec).unwrap();
        let batches = receiver.execute_logical_plan(decoded).await.unwrap().collect().await.unwrap();
        let placed: Vec<Option<&str>> =
            batches.iter().flat_map(|batch| batch.column(0).as_string::<i32>().iter()).collect();
        assert_eq!(placed, [Some("B1"), None]);

        // Ballista's own codec cannot: the receiving side has no such function.
        let plain = BallistaLogicalExtensionCodec::default();
        let bytes = logical_plan_to_bytes_with_extension_codec(&plan, &plain).unwrap();
        assert!(logical_plan_from_bytes_with_extension_codec(&bytes, &receiver.task_ctx(), &plain).is_err());
    }
}
