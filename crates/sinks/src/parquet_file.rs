//! One Parquet file per table: zstd compression, column statistics, and the table's
//! documentation carried as metadata (a `description` on every field of the embedded
//! Arrow schema, the table description in the file's key-value metadata).

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::{Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::error::{Error, Result, io};

/// Columns holding one distinct long text per row (a bronze record's raw JSON): dictionary
/// encoding only costs there, when writing and again when reading.
const UNIQUE_TEXT_COLUMNS: [&str; 1] = ["raw"];

/// Documentation attached to a table's file.
#[derive(Debug, Clone, Default)]
pub struct TableDocumentation {
    /// `layer.table`.
    pub name: String,
    /// Table description.
    pub description: String,
    /// Column name → description.
    pub columns: HashMap<String, String>,
}

/// A table file being written.
pub struct TableFile {
    path: PathBuf,
    writer: ArrowWriter<File>,
    schema: SchemaRef,
    rows: u64,
}

/// A finished table file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrittenTable {
    /// The file.
    pub path: PathBuf,
    /// Rows written.
    pub rows: u64,
    /// Bytes on disk.
    pub bytes: u64,
}

impl TableFile {
    /// Creates `path` (and its directory) for batches of `schema`.
    pub fn create(path: &Path, schema: &SchemaRef, documentation: Option<&TableDocumentation>) -> Result<Self> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(io("creating directory", parent))?;
        }
        let schema = documented_schema(schema, documentation);
        let mut properties = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::try_new(1).unwrap_or_default()))
            .set_statistics_enabled(EnabledStatistics::Page)
            .set_created_by(format!("skillgap {}", env!("CARGO_PKG_VERSION")))
            .set_max_row_group_row_count(Some(1 << 20));
        for column in UNIQUE_TEXT_COLUMNS {
            properties = properties.set_column_dictionary_enabled(ColumnPath::from(column), false);
        }
        if let Some(documentation) = documentation {
            properties = properties.set_key_value_metadata(Some(vec![
                KeyValue::new("skillgap.table".to_owned(), documentation.name.clone()),
                KeyValue::new("skillgap.description".to_owned(), documentation.description.trim().to_owned()),
            ]));
        }
        // A new file, never a truncation: the path may be a hard link into an earlier run
        // (a nightly run links the previous run's files), which must stay as it is.
        match std::fs::remove_file(path) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => return Err(io("replacing", path)(error)),
            _ => {}
        }
        let file = File::create(path).map_err(io("creating", path))?;
        let writer = ArrowWriter::try_new(file, schema.clone(), Some(properties.build()))
            .map_err(|source| Error::Parquet { path: path.to_path_buf(), source })?;
        Ok(Self { path: path.to_path_buf(), writer, schema, rows: 0 })
    }

    /// Writes a batch (its schema's metadata is replaced by the documented one).
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        let batch = batch
            .clone()
            .with_schema(self.schema.clone())
            .map_err(|source| Error::Parquet { path: self.path.clone(), source: source.into() })?;
        self.rows += batch.num_rows() as u64;
        self.writer.write(&batch).map_err(|source| Error::Parquet { path: self.path.clone(), source })
    }

    /// Closes the file and flushes it to disk.
    pub fn finish(self) -> Result<WrittenTable> {
        let path = self.path;
        let file = self.writer.into_inner().map_err(|source| Error::Parquet { path: path.clone(), source })?;
        file.sync_all().map_err(io("syncing", &path))?;
        let bytes = file.metadata().map_err(io("reading metadata of", &path))?.len();
        Ok(WrittenTable { path, rows: self.rows, bytes })
    }
}

/// The schema with every top-level field nullable (NULL rules are the tables' tests, not
/// the engine's plan-time guesses) and a `description` on every documented field.
fn documented_schema(schema: &SchemaRef, documentation: Option<&TableDocumentation>) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|field| {
            let field = field.as_ref().clone().with_nullable(true);
            match documentation.and_then(|d| d.columns.get(field.name())) {
                Some(description) => {
                    let mut metadata = field.metadata().clone();
                    metadata.insert("description".to_owned(), description.clone());
                    field.with_metadata(metadata)
                }
                None => field,
            }
        })
        .collect();
    Arc::new(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::DataType;
    use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

    #[test]
    fn writing_over_a_hard_link_leaves_the_linked_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let schema: SchemaRef = Arc::new(Schema::new(vec![Field::new("n", DataType::Int64, false)]));
        let (earlier, linked) = (dir.path().join("earlier.parquet"), dir.path().join("linked.parquet"));
        let mut file = TableFile::create(&earlier, &schema, None).unwrap();
        file.write(&RecordBatch::try_new(schema.clone(), vec![Arc::new(Int64Array::from(vec![1, 2, 3]))]).unwrap())
            .unwrap();
        file.finish().unwrap();
        let before = std::fs::read(&earlier).unwrap();
        std::fs::hard_link(&earlier, &linked).unwrap();
        let file = TableFile::create(&linked, &schema, None).unwrap();
        assert_eq!(file.finish().unwrap().rows, 0);
        assert!(std::fs::read(&earlier).unwrap() == before, "the earlier run's file changed");
    }

    #[test]
    fn rows_and_documentation_survive_a_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("code", DataType::Utf8, false),
            Field::new("n", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec!["a", "b"])), Arc::new(Int64Array::from(vec![Some(1), None]))],
        )
        .unwrap();
        let documentation = TableDocumentation {
            name: "gold.t".into(),
            description: "A table.".into(),
            columns: HashMap::from([("n".to_owned(), "A count.".to_owned())]),
        };
        let path = dir.path().join("gold/t/part-0.parquet");
        let mut file = TableFile::create(&path, &schema, Some(&documentation)).unwrap();
        file.write(&batch).unwrap();
        let written = file.finish().unwrap();
        assert_eq!(written.rows, 2);
        let reader = ParquetRecordBatchReaderBuilder::try_new(File::open(&path).unwrap()).unwrap();
        let metadata = reader.metadata().file_metadata().key_value_metadata().unwrap().clone();
        assert!(metadata.iter().any(|kv| kv.key == "skillgap.table" && kv.value.as_deref() == Some("gold.t")));
        let read_schema = reader.schema().clone();
        assert_eq!(read_schema.field_with_name("n").unwrap().metadata().get("description").unwrap(), "A count.");
        let batches: Vec<RecordBatch> = reader.build().unwrap().collect::<std::result::Result<_, _>>().unwrap();
        assert_eq!(batches[0].column(1).as_any().downcast_ref::<Int64Array>().unwrap().value(0), 1);
    }
}
