//! The OpenAPI document served at `/api/openapi.json`. Each route's
//! `#[utoipa::path]` says what is particular to it (its body, its own 409s
//! and 422s); [`SharedContract`] then adds what every route shares, from the
//! same rules the HTTP layer enforces, so no annotation has to repeat them:
//!
//! - every `{param}` of a path template is declared (ids are positive
//!   integers; [`ApiPath`](super::extract::ApiPath) answers 404 to anything
//!   else), and the paging parameters carry their limits;
//! - 400 where a query or body is parsed, 401 and 403 where a token is
//!   required, 404 where the path names a record, 413 where a body is read,
//!   429 (the rate limit) and 503 (the request timeout) everywhere, each with
//!   the error envelope;
//! - a file response (xlsx, csv, pdf) is described as binary.

use std::collections::BTreeSet;

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, PathItem};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{OpenApi as OpenApiDoc, Ref, RefOr, Required, Schema};
use utoipa::{Modify, OpenApi};

use super::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE, MAX_PAGE_SIZE};

#[derive(OpenApi)]
#[openapi(
    info(title = "OP_CMS API", description = "客户信息管理与运营系统 HTTP API. Amounts are decimal strings; errors use one envelope."),
    servers((url = "/api/v1")),
    modifiers(&BearerAuth),
    // OnConflict: a query parameter's enum, which utoipa refers to but does not collect.
    components(schemas(crate::error::ErrorBody, crate::usage::import::OnConflict))
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        openapi.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// The routes a signed-in user who still has to change the password may
/// use ([`crate::access::PasswordChangePending`]); every other secured route
/// answers them 403 `PASSWORD_CHANGE_REQUIRED`.
const OPEN_DURING_PASSWORD_CHANGE: &[(&str, &str)] = &[("get", "/auth/me"), ("post", "/auth/password")];

/// The error answers every route shares, as `#/components/responses/…`.
const SHARED_ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "请求无法处理：查询参数或请求体格式错误，或字段校验未通过（`details` 列出出错的字段）",
    ),
    ("401", "Unauthorized", "未登录、登录已过期或凭证无效"),
    (
        "403",
        "Forbidden",
        "无权执行此操作，或须先修改密码（`PASSWORD_CHANGE_REQUIRED`）",
    ),
    ("404", "NotFound", "记录不存在或不在可见范围内"),
    ("413", "PayloadTooLarge", "请求内容或上传文件超过大小上限"),
    (
        "429",
        "TooManyRequests",
        "请求过于频繁（`RATE_LIMITED`）；`Retry-After` 给出需等待的秒数",
    ),
    ("503", "Unavailable", "请求处理超时（`REQUEST_TIMEOUT`）或服务暂不可用"),
];

/// Completes the document with the contract every route shares (module doc).
pub struct SharedContract;

impl Modify for SharedContract {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        for (status, name, description) in SHARED_ERRORS {
            let mut response = ResponseBuilder::new()
                .description(*description)
                .content("application/json", error_content());
            if *status == "429" {
                response = response.header(
                    "Retry-After",
                    HeaderBuilder::new()
                        .schema(Some(integer(KnownFormat::Int64, Some(1), None)))
                        .description(Some("需等待的秒数"))
                        .build(),
                );
            }
            components
                .responses
                .insert((*name).to_string(), RefOr::T(response.build()));
        }
        let globally_secured = openapi.security.as_ref().is_some_and(|s| !s.is_empty());
        for (path, item) in openapi.paths.paths.iter_mut() {
            for (method, operation) in operations_mut(item) {
                declare_path_parameters(path, operation);
                limit_paging(operation);
                let secured = match &operation.security {
                    None => globally_secured,
                    Some(requirements) => requirements.iter().any(|r| *r != SecurityRequirement::default()),
                };
                let open_to_pending = OPEN_DURING_PASSWORD_CHANGE.contains(&(method, path.as_str()));
                add_shared_errors(operation, secured, open_to_pending);
                describe_bodies(operation);
            }
        }
    }
}

fn operations_mut(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.map(|o| (method, o)))
    .collect()
}

fn integer(format: KnownFormat, minimum: Option<i64>, maximum: Option<i64>) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .minimum(minimum)
        .maximum(maximum)
        .into()
}

fn error_content() -> utoipa::openapi::Content {
    ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("ErrorBody")))
        .build()
}

fn parameters(operation: &Operation) -> impl Iterator<Item = &Parameter> {
    operation.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(parameter) => Some(parameter),
        RefOr::Ref(_) => None,
    })
}

/// The `{name}`s of a path template, e.g. `id` and `version`.
pub fn template_parameters(path: &str) -> BTreeSet<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// What a path parameter of this name is. Every record in the API is named
/// by a positive integer id; a plan's versions by their number; a scheduled
/// job by its name (`usage.collect`…), a template by its event and channel,
/// each one of a fixed list.
fn path_parameter(name: &str) -> Option<Parameter> {
    let (schema, description) = match name {
        "id" => (integer(KnownFormat::Int64, Some(1), None), "记录 id"),
        "version" => (integer(KnownFormat::Int32, Some(1), None), "版本号"),
        "name" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(opcms_domain::jobs::Job::ALL.map(|job| job.name())))
                .into(),
            "定时任务名",
        ),
        "event" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(opcms_domain::notify::Event::ALL.map(|event| event.code())))
                .into(),
            "通知事件",
        ),
        "channel" => (
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(opcms_domain::notify::Channel::ALL.map(|channel| channel.code())))
                .into(),
            "通知渠道",
        ),
        _ => return None,
    };
    Some(
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Path)
            .required(Required::True)
            .description(Some(description))
            .schema(Some(schema))
            .build(),
    )
}

fn declare_path_parameters(path: &str, operation: &mut Operation) {
    let declared: BTreeSet<String> = parameters(operation)
        .filter(|p| p.parameter_in == ParameterIn::Path)
        .map(|p| p.name.clone())
        .collect();
    let missing: Vec<Parameter> = template_parameters(path)
        .into_iter()
        .filter(|name| !declared.contains(*name))
        .filter_map(path_parameter)
        .collect();
    if !missing.is_empty() {
        let list = operation.parameters.get_or_insert_with(Vec::new);
        // Path parameters first, as a reader expects them.
        let rest = std::mem::take(list);
        list.extend(missing.into_iter().map(RefOr::T));
        list.extend(rest);
    }
}

/// `page` and `page_size` are read by [`super::pagination::PageParams`]
/// wherever they appear, so they carry its limits and defaults.
fn limit_paging(operation: &mut Operation) {
    for parameter in operation.parameters.iter_mut().flatten() {
        let RefOr::T(parameter) = parameter else { continue };
        if parameter.parameter_in != ParameterIn::Query {
            continue;
        }
        let (maximum, default) = match parameter.name.as_str() {
            "page" => (MAX_PAGE, 1),
            "page_size" => (MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE),
            _ => continue,
        };
        let schema = ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(1))
            .maximum(Some(maximum as i64))
            .default(Some(default.into()));
        parameter.schema = Some(RefOr::T(schema.into()));
    }
}

fn add_shared_errors(operation: &mut Operation, secured: bool, open_to_pending: bool) {
    let has_body = operation.request_body.is_some();
    let has_query = parameters(operation).any(|p| p.parameter_in == ParameterIn::Query);
    let has_path = parameters(operation).any(|p| p.parameter_in == ParameterIn::Path);
    let applies = |status: &str| match status {
        "400" => has_body || has_query,
        "401" => secured,
        "403" => secured && !open_to_pending,
        "404" => has_path,
        "413" => has_body,
        _ => true,
    };
    for (status, name, _) in SHARED_ERRORS {
        if applies(status) && !operation.responses.responses.contains_key(*status) {
            operation
                .responses
                .responses
                .insert((*status).to_string(), RefOr::Ref(Ref::from_response_name(*name)));
        }
    }
}

/// What an answer of this status means, where its route did not say.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "成功",
        "201" => "已创建",
        "202" => "已受理，在后台执行",
        "204" => "成功，无返回内容",
        "409" => "与现有数据或他人同时进行的修改冲突（`code` 说明原因）",
        "422" => "内容无法处理，如文件无表头或价格规则不适用（`code` 说明原因）",
        _ => SHARED_ERRORS
            .iter()
            .find(|(shared, _, _)| *shared == status)
            .map_or("", |(_, _, description)| description),
    }
}

/// Every answer is described; error answers always carry the envelope; a
/// file's content is binary.
fn describe_bodies(operation: &mut Operation) {
    for (status, response) in operation.responses.responses.iter_mut() {
        let RefOr::T(response) = response else { continue };
        if response.description.is_empty() {
            response.description = default_description(status).to_string();
        }
        if status.starts_with('4') || status.starts_with('5') {
            if response.content.is_empty() {
                response
                    .content
                    .insert("application/json".into(), RefOr::T(error_content()));
            }
            continue;
        }
        for (media_type, content) in response.content.iter_mut() {
            let RefOr::T(content) = content else { continue };
            if content.schema.is_none() && !media_type.contains("json") {
                content.schema = Some(RefOr::T(
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
                        .into(),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn document() -> Value {
        serde_json::to_value(crate::http::openapi_document()).expect("the document serializes")
    }

    fn operations(document: &Value) -> Vec<(String, String, &Value)> {
        let mut all = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("path item") {
                all.push((method.clone(), path.clone(), operation));
            }
        }
        all
    }

    fn parameters<'a>(operation: &'a Value, location: &str) -> Vec<&'a Value> {
        operation["parameters"]
            .as_array()
            .map(|list| list.iter().filter(|p| p["in"] == location).collect())
            .unwrap_or_default()
    }

    #[test]
    fn every_path_parameter_is_declared_as_a_positive_integer_or_one_of_a_list() {
        let document = document();
        for (method, path, operation) in operations(&document) {
            let declared = parameters(operation, "path");
            for name in template_parameters(&path) {
                let parameter = declared
                    .iter()
                    .find(|p| p["name"] == name)
                    .unwrap_or_else(|| panic!("{method} {path}: {{{name}}} is not declared"));
                assert_eq!(parameter["required"], true, "{method} {path} {name}");
                let first = match name {
                    "name" => Some("usage.collect"),
                    "event" => Some("bill.issued"),
                    "channel" => Some("email"),
                    _ => None,
                };
                if let Some(first) = first {
                    assert_eq!(parameter["schema"]["type"], "string", "{method} {path} {name}");
                    assert_eq!(parameter["schema"]["enum"][0], first, "{method} {path} {name}");
                    continue;
                }
                assert_eq!(parameter["schema"]["type"], "integer", "{method} {path} {name}");
                assert_eq!(parameter["schema"]["minimum"], 1, "{method} {path} {name}");
            }
            assert_eq!(declared.len(), template_parameters(&path).len(), "{method} {path}");
        }
    }

    #[test]
    fn paging_parameters_carry_the_limits_the_server_enforces() {
        let document = document();
        let mut seen = 0;
        for (method, path, operation) in operations(&document) {
            for parameter in parameters(operation, "query") {
                let maximum = match parameter["name"].as_str() {
                    Some("page") => MAX_PAGE,
                    Some("page_size") => MAX_PAGE_SIZE,
                    _ => continue,
                };
                seen += 1;
                assert_eq!(parameter["schema"]["minimum"], 1, "{method} {path}");
                assert_eq!(parameter["schema"]["maximum"], maximum, "{method} {path}");
            }
        }
        assert!(seen > 40, "only {seen} paging parameters");
    }

    /// The shared answers go exactly where the HTTP layer can give them.
    #[test]
    fn shared_error_answers_are_listed_where_they_can_happen() {
        let document = document();
        for (method, path, operation) in operations(&document) {
            let responses = operation["responses"].as_object().expect("responses");
            let has = |status: &str| responses.contains_key(status);
            let secured = operation.get("security").is_none_or(|s| s != &serde_json::json!([{}]));
            let has_body = operation.get("requestBody").is_some();
            if secured {
                assert!(has("401"), "{method} {path}: 401");
            }
            assert_eq!(has("413"), has_body, "{method} {path}: 413");
            if has_body || !parameters(operation, "query").is_empty() {
                assert!(has("400"), "{method} {path}: 400");
            }
            if !parameters(operation, "path").is_empty() {
                assert!(has("404"), "{method} {path}: 404");
            }
            if secured && !OPEN_DURING_PASSWORD_CHANGE.contains(&(method.as_str(), path.as_str())) {
                assert!(has("403"), "{method} {path}: 403");
            }
            assert!(has("429") && has("503"), "{method} {path}: 429, 503");
        }
    }

    #[test]
    fn every_error_is_the_envelope_and_every_file_is_binary() {
        let document = document();
        let components = &document["components"]["responses"];
        for (method, path, operation) in operations(&document) {
            for (status, response) in operation["responses"].as_object().expect("responses") {
                let response = match response["$ref"].as_str() {
                    Some(reference) => &components[reference.trim_start_matches("#/components/responses/")],
                    None => response,
                };
                let content = response["content"].as_object();
                let described = response["description"].as_str().is_some_and(|d| !d.is_empty());
                assert!(described, "{method} {path} {status}: no description");
                if status.starts_with('4') || status.starts_with('5') {
                    let schema = &response["content"]["application/json"]["schema"]["$ref"];
                    assert_eq!(schema, "#/components/schemas/ErrorBody", "{method} {path} {status}");
                    continue;
                }
                for (media_type, body) in content.into_iter().flatten() {
                    assert!(body["schema"].is_object(), "{method} {path} {status} {media_type}");
                    if !media_type.contains("json") {
                        assert_eq!(body["schema"]["format"], "binary", "{method} {path} {media_type}");
                    }
                }
                if status == "200" && content.is_none_or(|c| c.is_empty()) {
                    panic!("{method} {path}: a 200 without a body");
                }
            }
        }
    }

    #[test]
    fn template_parameters_are_read_from_the_path() {
        assert_eq!(
            template_parameters("/price-plans/{id}/versions/{version}"),
            BTreeSet::from(["id", "version"])
        );
        assert!(template_parameters("/customers/import/template").is_empty());
        assert_eq!(
            template_parameters("/customers/import/{id}/report.xlsx"),
            BTreeSet::from(["id"])
        );
    }
}
