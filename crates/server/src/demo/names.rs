//! The words the demo company is made of: staff, cities, company names and
//! contacts. Plain lists, read in order, so the same seed picks the same
//! words.

/// The staff: (username, display name, role code). The sales people own the
/// customers in turn; operations people look after them.
pub const STAFF: &[(&str, &str, &str)] = &[
    ("zhao.min", "赵敏", "management"),
    ("qian.hao", "钱浩", "management"),
    ("sun.li", "孙丽", "operations"),
    ("zhou.jie", "周杰", "operations"),
    ("wu.fang", "吴芳", "operations"),
    ("zheng.qiang", "郑强", "sales"),
    ("wang.lei", "王磊", "sales"),
    ("feng.xue", "冯雪", "sales"),
    ("chen.yu", "陈宇", "sales"),
    ("chu.jing", "褚静", "sales"),
    ("wei.tao", "魏涛", "sales"),
];

/// (province + city as the 所在地区 field holds it, district for the address).
pub const REGIONS: &[(&str, &str)] = &[
    ("上海市", "浦东新区"),
    ("上海市", "徐汇区"),
    ("北京市", "朝阳区"),
    ("北京市", "海淀区"),
    ("广东省 深圳市", "南山区"),
    ("广东省 深圳市", "福田区"),
    ("广东省 广州市", "天河区"),
    ("浙江省 杭州市", "西湖区"),
    ("浙江省 宁波市", "鄞州区"),
    ("江苏省 南京市", "建邺区"),
    ("江苏省 苏州市", "工业园区"),
    ("四川省 成都市", "高新区"),
    ("湖北省 武汉市", "江汉区"),
    ("重庆市", "渝北区"),
    ("天津市", "河西区"),
    ("陕西省 西安市", "雁塔区"),
    ("福建省 厦门市", "思明区"),
    ("山东省 青岛市", "市南区"),
    ("湖南省 长沙市", "岳麓区"),
    ("河南省 郑州市", "金水区"),
];

/// The city part of a region, for company names ("深圳", "上海").
pub fn city_of(region: &str) -> &str {
    let city = region.rsplit(' ').next().unwrap_or(region);
    city.strip_suffix('市').unwrap_or(city)
}

/// Two-character brand words; a company name is a city, one or two of
/// these and its industry's suffix.
pub const BRANDS: &[&str] = &[
    "恒瑞", "华润", "锦江", "融创", "远洋", "金茂", "瑞安", "星河", "嘉里", "新城", "中骏", "龙湖", "旭辉", "世茂",
    "朗诗", "绿城", "滨江", "宝龙", "鸿荣", "卓越", "安居", "悦家", "自如", "泊寓", "冠寓", "魔方", "城家", "乐乎",
    "华住", "亚朵", "开元", "君澜", "维也", "锦华", "雅居", "宏泰", "鼎盛", "汇丰", "东方", "南洋", "西湖", "北辰",
    "长城", "天安", "金地", "华侨", "中海", "招商", "保利", "首开", "信达", "正荣", "阳光", "祥生", "德信", "中梁",
    "合景", "时代", "佳兆", "富力", "雅戈", "银泰", "万科", "碧桂", "和记", "协信", "协和", "光明", "彩虹", "紫荆",
];

/// Company name endings per industry label.
pub fn suffixes(industry: &str) -> &'static [&'static str] {
    match industry {
        "房地产开发" => &["置业有限公司", "房地产开发有限公司", "地产集团有限公司"],
        "物业管理" => &["物业服务有限公司", "物业管理有限公司"],
        "长租公寓" => &["公寓管理有限公司", "租赁住房运营有限公司"],
        "酒店" => &["酒店管理有限公司", "酒店有限公司"],
        "商业地产" => &["商业管理有限公司", "商业地产有限公司"],
        _ => &["科技有限公司", "智慧社区服务有限公司", "产业园运营有限公司"],
    }
}

/// Industries with their share of the customers (per mille, summing to 1000).
pub const INDUSTRIES: &[(&str, u64)] = &[
    ("物业管理", 300),
    ("房地产开发", 200),
    ("长租公寓", 200),
    ("酒店", 130),
    ("商业地产", 110),
    ("其他", 60),
];

pub const SURNAMES: &[&str] = &[
    "张", "李", "王", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林",
    "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];

pub const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "文", "晓东", "海燕", "志强", "丹", "俊", "慧",
];

pub const STREETS: &[&str] = &[
    "世纪大道",
    "人民路",
    "解放路",
    "中山路",
    "建设路",
    "科技园路",
    "滨江大道",
    "长江路",
    "湖滨路",
    "金融街",
];

pub const TAGS: &[&str] = &["重点跟进", "续约洽谈", "集团客户", "新开项目", "价格敏感"];
