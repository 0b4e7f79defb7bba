//! Which customer a receipt probably came from, by the payer's name on the
//! bank statement. Payers write 「星河物业」 for 「上海星河物业管理有限公司」, or
//! the full name with a branch, so names are compared by their core: no
//! leading place name, no company-form suffix, no bracketed parts.

use std::collections::HashSet;

use crate::customer::normalize::name_key;

/// Province-level names a company name often starts with (the longest
/// forms first, so 「内蒙古自治区」 goes before 「内蒙古」).
const PLACES: &[&str] = &[
    "广西壮族自治区",
    "宁夏回族自治区",
    "新疆维吾尔自治区",
    "内蒙古自治区",
    "西藏自治区",
    "黑龙江省",
    "北京市",
    "上海市",
    "天津市",
    "重庆市",
    "河北省",
    "山西省",
    "辽宁省",
    "吉林省",
    "江苏省",
    "浙江省",
    "安徽省",
    "福建省",
    "江西省",
    "山东省",
    "河南省",
    "湖北省",
    "湖南省",
    "广东省",
    "海南省",
    "四川省",
    "贵州省",
    "云南省",
    "陕西省",
    "甘肃省",
    "青海省",
    "台湾省",
    "内蒙古",
    "黑龙江",
    "北京",
    "上海",
    "天津",
    "重庆",
    "河北",
    "山西",
    "辽宁",
    "吉林",
    "江苏",
    "浙江",
    "安徽",
    "福建",
    "江西",
    "山东",
    "河南",
    "湖北",
    "湖南",
    "广东",
    "海南",
    "四川",
    "贵州",
    "云南",
    "陕西",
    "甘肃",
    "青海",
    "广西",
    "宁夏",
    "新疆",
    "西藏",
    "香港",
    "澳门",
];

/// Company forms at the end of a name, longest first; stripped repeatedly
/// (「…集团有限公司」).
const SUFFIXES: &[&str] = &[
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "分公司",
    "集团",
    "公司",
    "co.,ltd.",
    "co.,ltd",
    "co.ltd",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
];

/// The part of a company name people abbreviate it to.
pub fn core_name(name: &str) -> String {
    let mut text: String = name_key(name);
    // Bracketed parts: （中国）, (上海), 【…】.
    let mut plain = String::with_capacity(text.len());
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '(' | '（' | '[' | '【' => depth += 1,
            ')' | '）' | ']' | '】' => depth = depth.saturating_sub(1),
            c if depth == 0 && !c.is_whitespace() => plain.push(c),
            _ => {}
        }
    }
    text = plain;
    if let Some(place) = PLACES.iter().find(|p| text.starts_with(**p)) {
        text = text[place.len()..].to_string();
    }
    // A city after the province: 「杭州市」 within the first four characters.
    if let Some(pos) = text.char_indices().take(4).find(|(_, c)| *c == '市').map(|(i, _)| i)
        && text.chars().count() > 4
    {
        text = text[pos + '市'.len_utf8()..].to_string();
    }
    loop {
        let before = text.len();
        for suffix in SUFFIXES {
            if let Some(stripped) = text.strip_suffix(suffix)
                && !stripped.is_empty()
            {
                text = stripped.to_string();
            }
        }
        if text.len() == before {
            break;
        }
    }
    text
}

/// How well a payer name matches a company name, 0–100, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerMatch {
    pub score: u8,
    pub reason: String,
}

fn bigrams(text: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The match of a payer name to one company name; `None` below 40.
pub fn match_payer(payer: &str, company_name: &str) -> Option<CustomerMatch> {
    let payer_key = name_key(payer);
    if payer_key.is_empty() {
        return None;
    }
    if payer_key == name_key(company_name) {
        return Some(CustomerMatch {
            score: 100,
            reason: "付款人名称与公司名称完全一致".into(),
        });
    }
    let (payer_core, company_core) = (core_name(payer), core_name(company_name));
    if payer_core.chars().count() < 2 || company_core.chars().count() < 2 {
        return None;
    }
    if payer_core == company_core {
        return Some(CustomerMatch {
            score: 95,
            reason: format!("去掉地名和公司后缀后名称一致（「{company_core}」）"),
        });
    }
    let (short, long) = if payer_core.chars().count() <= company_core.chars().count() {
        (&payer_core, &company_core)
    } else {
        (&company_core, &payer_core)
    };
    if long.contains(short.as_str()) {
        let share = short.chars().count() * 25 / long.chars().count().max(1);
        return Some(CustomerMatch {
            score: (65 + share).min(90) as u8,
            reason: format!("公司名称与付款人名称都含有「{short}」"),
        });
    }
    let (a, b) = (bigrams(&payer_core), bigrams(&company_core));
    let shared = a.intersection(&b).count();
    if shared == 0 {
        return None;
    }
    // Dice coefficient of character pairs, scaled to 0–80.
    let score = shared * 2 * 80 / (a.len() + b.len()).max(1);
    (score >= 40).then(|| CustomerMatch {
        score: score as u8,
        reason: format!("名称有 {shared} 组相同的相邻字"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cores_drop_places_brackets_and_company_forms() {
        assert_eq!(core_name("上海星河物业管理有限公司"), "星河物业管理");
        assert_eq!(core_name("浙江省杭州市云栖科技集团有限公司"), "云栖科技");
        assert_eq!(core_name("星河物业（中国）股份有限公司"), "星河物业");
        assert_eq!(core_name("Acme Co.,Ltd."), "acme");
        assert_eq!(core_name("有限公司"), "有限");
    }

    #[test]
    fn payers_match_full_names_short_forms_and_near_misses() {
        let company = "上海星河物业管理有限公司";
        assert_eq!(match_payer("上海星河物业管理有限公司 ", company).unwrap().score, 100);
        assert_eq!(match_payer("星河物业管理有限公司", company).unwrap().score, 95);
        let short = match_payer("星河物业", company).unwrap();
        assert!((70..=90).contains(&short.score), "{short:?}");
        assert!(short.reason.contains("星河物业"));
        let near = match_payer("星河物业服务", company).unwrap();
        assert!(near.score >= 40 && near.score < short.score, "{near:?}");
        assert_eq!(match_payer("云栖科技", company), None);
        assert_eq!(match_payer("", company), None);
        assert_eq!(match_payer("星", company), None);
    }
}
