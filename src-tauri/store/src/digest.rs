use crate::Store;
use crate::error::Result;
use sqlx::Row;

impl Store {
    /// Every row of every table, as text in a stable order. Tests compare it before and after a
    /// refused request to show that the request changed nothing. When a token was last used is
    /// left out: every request, refused or not, records it (as the platform does).
    pub async fn content_digest(&self) -> Result<String> {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.reader)
        .await?;
        let mut out = String::new();
        for table in tables {
            let columns: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info(?) ORDER BY cid")
                .bind(&table)
                .fetch_all(&self.reader)
                .await?
                .iter()
                .map(|r| r.get::<String, _>(0))
                .filter(|c| (table.as_str(), c.as_str()) != ("tokens", "last_used_at"))
                .collect();
            let row_text = columns.iter().map(|c| format!("quote(\"{c}\")")).collect::<Vec<_>>().join(" || ',' || ");
            // Names come from the schema itself, not from any request.
            let sql = format!("SELECT {row_text} FROM \"{table}\" ORDER BY rowid");
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_all(&self.reader).await?;
            out.push_str(&format!("## {table}\n{}\n", rows.join("\n")));
        }
        Ok(out)
    }
}
