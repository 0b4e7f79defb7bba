//! `GET /customers/export?format=xlsx|csv&…`: the customer list as a file,
//! with the list's filters and the caller's data scope. Rows are read in
//! keyset-paged chunks (by id), so memory stays flat however many match: a
//! CSV streams to the client as it is read; an `.xlsx` is written in
//! constant-memory mode and sent when complete.

use std::io;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::response::Response;
use opcms_domain::Permission;
use opcms_domain::customer::{AccountStatus, Field};
use rust_xlsxwriter::Workbook;
use sea_orm::{ColumnTrait, DatabaseConnection, QueryFilter, QueryOrder, QuerySelect, Select};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::entity::customer;
use super::list::{self, CustomerQuery};
use super::model::CustomerView;
use super::service;
use crate::access::Principal;
use crate::audit::{self, Actor};
use crate::crypto::Keyring;
use crate::error::{AppError, AppResult, ErrorBody};
use crate::http::download::{CSV, XLSX, attachment};
use crate::http::extract::ApiQuery;
use crate::http::pagination::{PageParams, PageRequest};
use crate::spreadsheet::write::{SheetWriter, Value, csv_line, xlsx_error};
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export_customers))
}

/// Read beside the list's filters (`q`, `status`, …), which come as
/// [`CustomerQuery`]; paging and sort are ignored.
#[derive(Debug, Deserialize)]
pub struct ExportFormat {
    /// `xlsx` (default) or `csv`.
    pub format: Option<String>,
}

const CHUNK: u64 = 1000;

/// The 18 profile columns, then tags.
fn headers() -> Vec<&'static str> {
    let mut headers: Vec<&str> = Field::ALL.iter().map(|f| f.header()).collect();
    headers.push("标签");
    headers
}

fn cells(view: &CustomerView) -> Vec<Value> {
    let status = AccountStatus::parse(&view.account_status).map_or(view.account_status.clone(), |s| s.label().into());
    Field::ALL
        .iter()
        .map(|field| match field {
            Field::CustomerCode => Value::Text(view.customer_code.clone()),
            Field::CompanyName => Value::Text(view.company_name.clone()),
            Field::CreditCode => view.credit_code.clone().into(),
            Field::Industry => view.industry.clone().into(),
            Field::Level => view.level.clone().into(),
            Field::Region => view.region.clone().into(),
            Field::Address => view.address.clone().into(),
            Field::ContactName => view.contact_name.clone().into(),
            Field::ContactPhone => view.contact_phone.clone().into(),
            Field::ContactEmail => view.contact_email.clone().into(),
            Field::AccountId => view.account_id.clone().into(),
            Field::AccountStatus => Value::Text(status.clone()),
            Field::DeviceSeries => Value::Text(view.device_series.join("、")),
            Field::SalesOwner => view.sales_owner.as_ref().map(|o| o.display_name.clone()).into(),
            Field::OpsOwner => view.ops_owner.as_ref().map(|o| o.display_name.clone()).into(),
            Field::SignedAt => view.signed_at.into(),
            Field::ContractEndAt => view.contract_end_at.into(),
            Field::Remarks => view.remarks.clone().into(),
        })
        .chain(std::iter::once(Value::Text(view.tags.join("、"))))
        .collect()
}

/// Reads the selection chunk by chunk in id order.
struct Chunks {
    db: DatabaseConnection,
    keyring: std::sync::Arc<Keyring>,
    principal_role: opcms_domain::Role,
    select: Select<customer::Entity>,
    after: i64,
    done: bool,
}

impl Chunks {
    async fn next(&mut self) -> AppResult<Option<Vec<CustomerView>>> {
        if self.done {
            return Ok(None);
        }
        let rows = self
            .select
            .clone()
            .filter(customer::Column::Id.gt(self.after))
            .order_by_asc(customer::Column::Id)
            .limit(CHUNK)
            .all(&self.db)
            .await?;
        self.done = (rows.len() as u64) < CHUNK;
        let Some(last) = rows.last() else { return Ok(None) };
        self.after = last.id;
        Ok(Some(
            service::views(&self.db, &self.keyring, self.principal_role, rows).await?,
        ))
    }
}

/// Export the (filtered) customer list.
#[utoipa::path(get, path = "/customers/export", tag = "customers", params(("format" = Option<String>, Query, description = "xlsx | csv"), PageParams, CustomerQuery),
    responses((status = 200, description = "the file: `.xlsx` (default) or `.csv` (`format=csv`)",
        content(("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), ("text/csv"))), (status = 400, body = ErrorBody)))]
async fn export_customers(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(format): ApiQuery<ExportFormat>,
    ApiQuery(filters): ApiQuery<CustomerQuery>,
    // Every matching row, but the list's query whole: its paging limits hold.
    _page: PageRequest,
) -> AppResult<Response> {
    principal.require(Permission::CustomersExport)?;
    let csv = crate::spreadsheet::write::ExportFormat::parse(format.format.as_deref())?
        == crate::spreadsheet::write::ExportFormat::Csv;
    if filters.deleted == Some(true) {
        principal.require(Permission::CustomersRestore)?;
    }
    if filters.plan_id.is_some() {
        principal.require(Permission::PricingView)?;
    }
    let select = list::build(
        &filters,
        &principal.scope(),
        &state.keyring,
        state.db.get_database_backend(),
    )?;
    audit::record_export(&state.db, &Actor::from(&principal), "customer.export", "customer", csv).await?;
    let mut chunks = Chunks {
        db: state.db.clone(),
        keyring: state.keyring.clone(),
        principal_role: principal.role,
        select,
        after: 0,
        done: false,
    };
    let stamp = crate::calendar::file_stamp();
    if csv {
        let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, io::Error>>(4);
        tokio::spawn(async move {
            // A BOM so Excel reads the Chinese as UTF-8.
            let mut head = b"\xEF\xBB\xBF".to_vec();
            head.extend(csv_line(
                &headers().into_iter().map(|h| Value::Text(h.into())).collect::<Vec<_>>(),
            ));
            if sender.send(Ok(Bytes::from(head))).await.is_err() {
                return;
            }
            loop {
                let chunk = match chunks.next().await {
                    Ok(Some(views)) => Ok(Bytes::from(
                        views.iter().flat_map(|v| csv_line(&cells(v))).collect::<Vec<u8>>(),
                    )),
                    Ok(None) => break,
                    Err(e) => {
                        tracing::error!(error = %e, "customer export failed midway");
                        Err(io::Error::other("export failed"))
                    }
                };
                let failed = chunk.is_err();
                if sender.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        });
        let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
            receiver.recv().await.map(|item| (item, receiver))
        });
        return Ok(attachment(
            Body::from_stream(stream),
            CSV,
            &format!("客户列表-{stamp}.csv"),
        ));
    }

    let mut book = Workbook::new();
    {
        let sheet = book.add_worksheet_with_constant_memory().map_err(xlsx_error)?;
        sheet.set_name("客户").map_err(xlsx_error)?;
        let mut writer = SheetWriter::new(sheet, &headers()).map_err(xlsx_error)?;
        while let Some(views) = chunks.next().await? {
            for view in &views {
                writer.row(&cells(view)).map_err(xlsx_error)?;
            }
        }
    }
    let bytes = tokio::task::spawn_blocking(move || book.save_to_buffer())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export task: {e}")))?
        .map_err(xlsx_error)?;
    Ok(attachment(bytes, XLSX, &format!("客户列表-{stamp}.xlsx")))
}
