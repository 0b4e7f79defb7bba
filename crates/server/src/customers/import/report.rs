//! The files of the import: the report (the rows with problems, in their
//! original columns, plus 「错误原因」, so staff can fix and re-import them)
//! and the template (the 18 headers, an example, drop-down lists for the
//! dictionary columns and a sheet explaining each column).

use std::collections::BTreeMap;

use opcms_domain::customer::{AccountStatus, Field, Industry};
use rust_xlsxwriter::{DataValidation, Format, Workbook, XlsxError};
use serde_json::{Value, json};

use super::plan::Issue;
use crate::spreadsheet::Row;
use crate::spreadsheet::write::{SheetWriter, Value as Out, simple_workbook};

pub const REASON_HEADER: &str = "错误原因";

/// What is kept of a run: the header and, for each row with problems, its
/// original cells and the reasons.
pub fn stored(headers: &[String], rows: &[Row], issues: &[Issue]) -> Value {
    let mut reasons: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    for issue in issues {
        reasons.entry(issue.row).or_default().push(format!(
            "[{}] {}：{}",
            issue.status.label(),
            issue.column,
            issue.message
        ));
    }
    let by_number: BTreeMap<u32, &Row> = rows.iter().map(|r| (r.number, r)).collect();
    let rows: Vec<Value> = reasons
        .into_iter()
        .filter_map(|(number, reasons)| {
            let row = by_number.get(&number)?;
            let cells: Vec<String> = (0..headers.len()).map(|c| row.cell(c).text()).collect();
            Some(json!({"row": number, "cells": cells, "reason": reasons.join("；")}))
        })
        .collect();
    json!({"headers": headers, "rows": rows})
}

/// The stored report as an `.xlsx`.
pub fn xlsx(report: &Value) -> Result<Vec<u8>, XlsxError> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .map(|a| a.iter().map(|s| s.as_str().unwrap_or_default().to_string()).collect())
            .unwrap_or_default()
    };
    let mut headers = strings(&report["headers"]);
    headers.push(REASON_HEADER.into());
    headers.push("原行号".into());
    let rows: Vec<Vec<Out>> = report["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| {
                    let mut cells: Vec<Out> = strings(&row["cells"]).into_iter().map(Out::Text).collect();
                    cells.resize(headers.len() - 2, Out::Blank);
                    cells.push(Out::Text(row["reason"].as_str().unwrap_or_default().into()));
                    cells.push(Out::Text(row["row"].to_string()));
                    cells
                })
                .collect()
        })
        .unwrap_or_default();
    let headers: Vec<&str> = headers.iter().map(String::as_str).collect();
    simple_workbook("导入问题", &headers, &rows)
}

/// What each column takes, for the template's second sheet.
fn explanation(field: Field) -> &'static str {
    match field {
        Field::CustomerCode => "选填。已存在的编号会更新该客户；留空则自动生成（C + 6 位数字）",
        Field::CompanyName => "必填，不可与其他客户重复（忽略空格与全角/半角差异）",
        Field::CreditCode => "选填，18 位，按 GB 32100-2015 校验",
        Field::Industry => "房地产开发、物业管理、长租公寓、酒店、商业地产、其他（也接受 物业、公寓 等常用说法）",
        Field::Level => "A、B、C（也接受 战略客户、重点客户、普通客户）",
        Field::Region => "省市，如 上海市、四川省成都市",
        Field::Address => "详细地址",
        Field::ContactName => "联系人姓名",
        Field::ContactPhone => "手机号（1 开头 11 位）或座机（0 开头区号-号码）；加密保存",
        Field::ContactEmail => "邮箱地址；加密保存",
        Field::AccountId => "上游平台中的账号，用量数据按它匹配客户；不可重复",
        Field::AccountStatus => "试用、正式、欠费、暂停、已注销；留空为试用",
        Field::DeviceSeries => "X、N、L 中的一个或多个，用 、 , / 或空格分隔",
        Field::SalesOwner => "系统用户的姓名；找不到时导入但不设置负责人",
        Field::OpsOwner => "系统用户的姓名；找不到时导入但不设置负责人",
        Field::SignedAt => "日期：2024-03-05、2024/3/5、2024.03.05、2024年3月5日 或 20240305",
        Field::ContractEndAt => "日期，不能早于签约日期",
        Field::Remarks => "备注",
    }
}

fn example(field: Field) -> &'static str {
    match field {
        Field::CustomerCode => "C000001",
        Field::CompanyName => "上海示例物业管理有限公司",
        Field::CreditCode => "91310000MA1FL8TQ3B",
        Field::Industry => "物业管理",
        Field::Level => "A",
        Field::Region => "上海市",
        Field::Address => "浦东新区世纪大道 100 号",
        Field::ContactName => "张三",
        Field::ContactPhone => "13800138000",
        Field::ContactEmail => "zhangsan@example.cn",
        Field::AccountId => "acct_000001",
        Field::AccountStatus => "正式",
        Field::DeviceSeries => "X、N",
        Field::SalesOwner => "李四",
        Field::OpsOwner => "王五",
        Field::SignedAt => "2024-03-05",
        Field::ContractEndAt => "2025-03-04",
        Field::Remarks => "",
    }
}

/// Rows the drop-down lists cover in the template.
const VALIDATED_ROWS: u32 = 10_000;

pub fn template() -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let headers: Vec<&str> = Field::ALL.iter().map(|f| f.header()).collect();
    {
        let sheet = book.add_worksheet();
        sheet.set_name("客户信息")?;
        let mut writer = SheetWriter::new(sheet, &headers)?;
        let examples: Vec<Out> = Field::ALL.iter().map(|f| Out::Text(example(*f).into())).collect();
        writer.row(&examples)?;
        let sheet = writer.sheet();
        let required = Format::new()
            .set_bold()
            .set_font_color("#F53F3F")
            .set_background_color("#E8F3FF");
        let name_column = Field::ALL.iter().position(|f| *f == Field::CompanyName).unwrap_or(1) as u16;
        sheet.write_with_format(0, name_column, Field::CompanyName.header(), &required)?;
        let lists: [(Field, Vec<&str>); 3] = [
            (Field::Industry, Industry::ALL.iter().map(|i| i.label()).collect()),
            (Field::Level, vec!["A", "B", "C"]),
            (
                Field::AccountStatus,
                AccountStatus::ALL.iter().map(|s| s.label()).collect(),
            ),
        ];
        for (field, values) in lists {
            let column = Field::ALL.iter().position(|f| *f == field).unwrap_or_default() as u16;
            let validation = DataValidation::new()
                .allow_list_strings(&values)?
                .set_input_title(field.header())?
                .set_input_message(explanation(field))?;
            sheet.add_data_validation(1, column, VALIDATED_ROWS, column, &validation)?;
        }
    }
    let help = book.add_worksheet();
    help.set_name("填写说明")?;
    let mut writer = SheetWriter::new(help, &["列名", "说明"])?;
    writer.sheet().set_column_width(1, 90)?;
    for field in Field::ALL {
        writer.row(&[Out::Text(field.header().into()), Out::Text(explanation(field).into())])?;
    }
    writer.row(&[
        Out::Text("提示".into()),
        Out::Text("第一行的列名用于识别各列，列的顺序可以任意调整；表头上方可以有标题行。同一文件中公司名称或客户编号重复时，以第一行为准。".into()),
    ])?;
    book.save_to_buffer()
}
