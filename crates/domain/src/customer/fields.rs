//! The customer's dictionary fields and formatted values (DESIGN.md §3), each
//! parsed from what people actually type, synonyms included.

use std::collections::BTreeSet;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::normalize::{clean, to_half_width};

/// 行业类型
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
pub enum Industry {
    #[serde(rename = "房地产开发")]
    RealEstateDevelopment,
    #[serde(rename = "物业管理")]
    PropertyManagement,
    #[serde(rename = "长租公寓")]
    RentalApartment,
    #[serde(rename = "酒店")]
    Hotel,
    #[serde(rename = "商业地产")]
    CommercialRealEstate,
    #[serde(rename = "其他")]
    Other,
}

impl Industry {
    pub const ALL: [Industry; 6] = [
        Industry::RealEstateDevelopment,
        Industry::PropertyManagement,
        Industry::RentalApartment,
        Industry::Hotel,
        Industry::CommercialRealEstate,
        Industry::Other,
    ];

    /// The dictionary value, as stored and as the API shows it.
    pub fn label(self) -> &'static str {
        match self {
            Industry::RealEstateDevelopment => "房地产开发",
            Industry::PropertyManagement => "物业管理",
            Industry::RentalApartment => "长租公寓",
            Industry::Hotel => "酒店",
            Industry::CommercialRealEstate => "商业地产",
            Industry::Other => "其他",
        }
    }

    /// The dictionary value or one of its synonyms.
    pub fn parse(text: &str) -> Option<Industry> {
        let text = clean(text)?;
        let found = match text.as_str() {
            "房地产开发" | "房地产" | "地产开发" => Industry::RealEstateDevelopment,
            "物业管理" | "物业" | "物业服务" => Industry::PropertyManagement,
            "长租公寓" | "公寓" | "租赁公寓" => Industry::RentalApartment,
            "酒店" | "酒店管理" => Industry::Hotel,
            "商业地产" | "商业" => Industry::CommercialRealEstate,
            "其他" | "其它" => Industry::Other,
            _ => return None,
        };
        Some(found)
    }
}

/// 客户等级
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = CustomerLevel)]
pub enum Level {
    A,
    B,
    C,
}

impl Level {
    pub fn code(self) -> &'static str {
        match self {
            Level::A => "A",
            Level::B => "B",
            Level::C => "C",
        }
    }

    pub fn parse(text: &str) -> Option<Level> {
        let text = clean(text)?.to_uppercase();
        let found = match text.as_str() {
            "A" | "A类" | "战略" | "战略客户" => Level::A,
            "B" | "B类" | "重点" | "重点客户" => Level::B,
            "C" | "C类" | "普通" | "普通客户" => Level::C,
            _ => return None,
        };
        Some(found)
    }
}

/// 账号状态
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Trial,
    Active,
    Arrears,
    Suspended,
    Closed,
}

impl AccountStatus {
    pub const ALL: [AccountStatus; 5] = [
        AccountStatus::Trial,
        AccountStatus::Active,
        AccountStatus::Arrears,
        AccountStatus::Suspended,
        AccountStatus::Closed,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AccountStatus::Trial => "trial",
            AccountStatus::Active => "active",
            AccountStatus::Arrears => "arrears",
            AccountStatus::Suspended => "suspended",
            AccountStatus::Closed => "closed",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            AccountStatus::Trial => "试用",
            AccountStatus::Active => "正式",
            AccountStatus::Arrears => "欠费",
            AccountStatus::Suspended => "暂停",
            AccountStatus::Closed => "已注销",
        }
    }

    /// The English code, the Chinese label, or a synonym.
    pub fn parse(text: &str) -> Option<AccountStatus> {
        let text = clean(text)?.to_lowercase();
        let found = match text.as_str() {
            "trial" | "试用" => AccountStatus::Trial,
            "active" | "正式" | "正常" | "已签约" => AccountStatus::Active,
            "arrears" | "欠费" => AccountStatus::Arrears,
            "suspended" | "暂停" | "停用" => AccountStatus::Suspended,
            "closed" | "已注销" | "注销" => AccountStatus::Closed,
            _ => return None,
        };
        Some(found)
    }
}

impl fmt::Display for AccountStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// 设备系列
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = DeviceSeries)]
pub enum Series {
    L,
    N,
    X,
}

impl Series {
    pub const ALL: [Series; 3] = [Series::L, Series::N, Series::X];

    pub fn code(self) -> &'static str {
        match self {
            Series::L => "L",
            Series::N => "N",
            Series::X => "X",
        }
    }

    /// The series of a stored code (`X`, `N`, `L` exactly, as the database
    /// keeps them): no cleaning, for reads of many rows.
    pub fn from_code(code: &str) -> Option<Series> {
        match code {
            "L" => Some(Series::L),
            "N" => Some(Series::N),
            "X" => Some(Series::X),
            _ => None,
        }
    }

    pub fn parse(token: &str) -> Option<Series> {
        match clean(token)?.to_uppercase().as_str() {
            "L" => Some(Series::L),
            "N" => Some(Series::N),
            "X" => Some(Series::X),
            _ => None,
        }
    }
}

/// Splits "N、L/x" into series; the unknown tokens come back as errors.
pub fn parse_series_text(text: &str) -> Result<BTreeSet<Series>, Vec<String>> {
    let text = to_half_width(text);
    let tokens = text
        .split(['、', ',', '，', '/', ' ', ';', '；'])
        .map(str::trim)
        .filter(|t| !t.is_empty());
    parse_series_tokens(tokens)
}

pub fn parse_series_tokens<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Result<BTreeSet<Series>, Vec<String>> {
    let mut set = BTreeSet::new();
    let mut unknown = Vec::new();
    for token in tokens {
        match Series::parse(token) {
            Some(series) => {
                set.insert(series);
            }
            None => unknown.push(token.trim().to_string()),
        }
    }
    if unknown.is_empty() { Ok(set) } else { Err(unknown) }
}

/// Mainland mobile `1[3-9]` + 9 digits, or landline `0` + 2–3 digits,
/// optional `-`, 7–8 digits. Spaces inside are ignored.
pub fn parse_phone(text: &str) -> Option<String> {
    let phone: String = to_half_width(text).chars().filter(|c| !c.is_whitespace()).collect();
    let digits_only = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mobile = phone.len() == 11
        && digits_only(&phone)
        && phone.starts_with('1')
        && matches!(phone.as_bytes()[1], b'3'..=b'9');
    let landline = || {
        if !phone.starts_with('0') {
            return false;
        }
        let (area, number) = match phone.split_once('-') {
            Some((area, number)) => (area.to_string(), number.to_string()),
            // Without a dash the split is ambiguous; any 0 + 2–3 + 7–8 split
            // gives a total of 10–12 digits.
            None => return digits_only(&phone) && (10..=12).contains(&phone.len()),
        };
        digits_only(&area) && (3..=4).contains(&area.len()) && digits_only(&number) && (7..=8).contains(&number.len())
    };
    (mobile || landline()).then_some(phone)
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted
/// domain, no spaces. The domain is lower-cased.
pub fn parse_email(text: &str) -> Option<String> {
    let email = clean(text)?;
    let (local, domain) = email.split_once('@')?;
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && !local.starts_with('.')
        && !local.ends_with('.');
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    (local_ok && domain_ok && email.len() <= 254).then(|| format!("{local}@{}", domain.to_lowercase()))
}

/// Dates as people type them: `2024-03-05`, `2024/3/5`, `2024.03.05`,
/// `2024年3月5日`, `20240305`, with stray spaces.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let text: String = to_half_width(text).chars().filter(|c| !c.is_whitespace()).collect();
    if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(&text, "%Y%m%d").ok();
    }
    let unified = text.replace(['/', '.', '年', '月'], "-");
    let unified = unified.strip_suffix('日').unwrap_or(&unified);
    let parts: Vec<&str> = unified.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return None;
    };
    let number = |s: &str, max_len: usize| -> Option<u32> {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    if year.len() != 4 {
        return None;
    }
    NaiveDate::from_ymd_opt(number(year, 4)? as i32, number(month, 2)?, number(day, 2)?)
}

/// Customer code: letters, digits, `-` and `_`, 1–32 characters, upper-cased.
pub fn parse_customer_code(text: &str) -> Option<String> {
    let code = clean(text)?.to_uppercase();
    let valid = code.len() <= 32 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    valid.then_some(code)
}

/// The upstream platform account: 1–64 visible ASCII characters.
pub fn parse_account_id(text: &str) -> Option<String> {
    let id = clean(text)?;
    let valid = id.len() <= 64 && id.chars().all(|c| c.is_ascii_graphic());
    valid.then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn industries_accept_their_synonyms() {
        let cases = [
            ("物业", Industry::PropertyManagement),
            ("物业服务", Industry::PropertyManagement),
            ("房地产", Industry::RealEstateDevelopment),
            ("地产开发", Industry::RealEstateDevelopment),
            ("公寓", Industry::RentalApartment),
            ("租赁公寓", Industry::RentalApartment),
            ("酒店管理", Industry::Hotel),
            ("商业", Industry::CommercialRealEstate),
            (" 其他 ", Industry::Other),
        ];
        for (text, industry) in cases {
            assert_eq!(Industry::parse(text), Some(industry), "{text}");
        }
        for industry in Industry::ALL {
            assert_eq!(Industry::parse(industry.label()), Some(industry));
        }
        assert_eq!(Industry::parse("农业"), None);
    }

    #[test]
    fn levels_accept_their_synonyms() {
        for (text, level) in [
            ("a", Level::A),
            ("A类", Level::A),
            ("战略客户", Level::A),
            ("重点", Level::B),
            ("普通客户", Level::C),
        ] {
            assert_eq!(Level::parse(text), Some(level), "{text}");
        }
        assert_eq!(Level::parse("D"), None);
    }

    #[test]
    fn statuses_accept_codes_labels_and_synonyms() {
        let cases = [
            ("正常", AccountStatus::Active),
            ("已签约", AccountStatus::Active),
            ("停用", AccountStatus::Suspended),
            ("注销", AccountStatus::Closed),
            ("Trial", AccountStatus::Trial),
        ];
        for (text, status) in cases {
            assert_eq!(AccountStatus::parse(text), Some(status), "{text}");
        }
        for status in AccountStatus::ALL {
            assert_eq!(AccountStatus::parse(status.label()), Some(status));
            assert_eq!(AccountStatus::parse(status.code()), Some(status));
        }
    }

    #[test]
    fn series_split_on_every_separator_case_insensitively() {
        let expected: BTreeSet<Series> = [Series::L, Series::N, Series::X].into();
        for text in ["N、L、X", "x,n，l", "X/N L", "Ｘ、Ｎ、Ｌ", "X;N;L;X"] {
            assert_eq!(parse_series_text(text), Ok(expected.clone()), "{text}");
        }
        assert_eq!(parse_series_text("X、Q"), Err(vec!["Q".to_string()]));
        assert_eq!(parse_series_text("  "), Ok(BTreeSet::new()));
    }

    #[test]
    fn phones_follow_the_mainland_formats() {
        for good in [
            "13800138000",
            "19632056966",
            "0255-65388370",
            "010-1234567",
            "02165388370",
            "138 0013 8000",
        ] {
            assert!(parse_phone(good).is_some(), "{good}");
        }
        for bad in [
            "12345678901",
            "1381234",
            "电话待补",
            "10800138000",
            "021-123456",
            "21-12345678",
            "",
        ] {
            assert!(parse_phone(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(parse_email(" Li.Ming@Example.CN ").unwrap(), "Li.Ming@example.cn");
        for bad in [
            "user.example.cn",
            "abc@",
            "a b@x.cn",
            "无",
            "@x.cn",
            "a@x",
            "a@x.c1",
            "a@@x.cn",
        ] {
            assert!(parse_email(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn dates_accept_every_documented_form() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 5).unwrap();
        for text in [
            "2024-03-05",
            "2024/3/5",
            "2024.03.05",
            "2024年3月5日",
            "20240305",
            " 2024 - 3 - 5 ",
            "2024年03月05日",
        ] {
            assert_eq!(parse_date_text(text), Some(day), "{text}");
        }
        for bad in ["2023-13-01", "去年", "2024-02-30", "24-3-5", "2024-3", "20241305", ""] {
            assert_eq!(parse_date_text(bad), None, "{bad}");
        }
    }

    #[test]
    fn customer_codes_and_accounts_are_plain_identifiers() {
        assert_eq!(parse_customer_code(" c100006 ").unwrap(), "C100006");
        assert!(parse_customer_code("C 1").is_none());
        assert!(parse_customer_code("编号1").is_none());
        assert_eq!(parse_account_id("acct_6d7fb6be").unwrap(), "acct_6d7fb6be");
        assert!(parse_account_id("acct 1").is_none());
    }
}
