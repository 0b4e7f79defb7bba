//! Renders bills and reads the text back out of the PDF bytes (pdf-extract,
//! which decodes the CID fonts through their ToUnicode maps), so a missing
//! glyph, a broken font embedding or a lost line fails here.

use std::time::Instant;

use opcms_documents::{BillPdf, CompanyHeader, PdfLine, PdfTier, render_bill};

fn company() -> CompanyHeader {
    CompanyHeader {
        name: "上海喆堃信息科技有限公司".to_owned(),
        address: Some("上海市浦东新区张江路 88 号 5 楼".to_owned()),
        phone: Some("021-5555 0101".to_owned()),
        tax_id: Some("91310115MA1K4XXXX0".to_owned()),
        bank_name: Some("招商银行上海张江支行".to_owned()),
        bank_account: Some("6225 8801 2345 6789".to_owned()),
        payment_note: Some("请在汇款附言中注明账单编号；款项到账后三个工作日内核销。".to_owned()),
    }
}

fn tiered_line(series: &str) -> PdfLine {
    PdfLine {
        description: format!("{series} 系列用量"),
        quantity: Some("12500".to_owned()),
        unit_price: None,
        amount: "5350.00".to_owned(),
        tiers: vec![
            PdfTier {
                range: "0 – 1000".to_owned(),
                quantity: "1000".to_owned(),
                unit_price: "0.5000".to_owned(),
                amount: "500.00".to_owned(),
            },
            PdfTier {
                range: "1000 – 5000".to_owned(),
                quantity: "4000".to_owned(),
                unit_price: "0.4500".to_owned(),
                amount: "1800.00".to_owned(),
            },
            PdfTier {
                range: "5000 以上".to_owned(),
                quantity: "7500".to_owned(),
                unit_price: "0.4067".to_owned(),
                amount: "3050.25".to_owned(),
            },
        ],
    }
}

fn bill(lines: usize) -> BillPdf {
    let mut all = Vec::with_capacity(lines);
    for i in 0..lines {
        all.push(match i % 3 {
            0 => tiered_line(&format!("X{i}")),
            1 => PdfLine {
                description: format!("保底补差（第 {i} 项，按合同约定的月度最低消费补足差额，超长说明会自动换行）"),
                quantity: None,
                unit_price: None,
                amount: "1200.00".to_owned(),
                tiers: Vec::new(),
            },
            _ => PdfLine {
                description: format!("短信通道服务费 {i}"),
                quantity: Some("3".to_owned()),
                unit_price: Some("100.0000".to_owned()),
                amount: "300.00".to_owned(),
                tiers: Vec::new(),
            },
        });
    }
    BillPdf {
        company: company(),
        bill_no: "B202611-000012".to_owned(),
        status_label: "未结算".to_owned(),
        customer_name: "北京珺赟贸易有限公司".to_owned(),
        customer_code: "C000123".to_owned(),
        customer_address: Some("北京市海淀区中关村大街 1 号".to_owned()),
        period: "2026年11月".to_owned(),
        issued_on: Some("2026-12-01".to_owned()),
        due_on: Some("2026-12-15".to_owned()),
        lines: all,
        subtotal: "136850.00".to_owned(),
        credited: Some("-850.00".to_owned()),
        total: "136000.00".to_owned(),
        total_in_words: "壹拾叁万陆仟元整".to_owned(),
        allocated: Some("36000.00".to_owned()),
        outstanding: Some("100000.00".to_owned()),
        plan_label: Some("标准阶梯价 v3".to_owned()),
        remarks: Some("如对账单有疑问，请于收到后七日内联系客户经理。".to_owned()),
    }
}

/// Text of each page, with the spacing pdf-extract inserts removed so that
/// a word split into positioned runs still matches.
fn pages(pdf: &[u8]) -> Vec<String> {
    pdf_extract::extract_text_from_mem_by_pages(pdf)
        .expect("pdf-extract reads the PDF")
        .into_iter()
        .map(|page| page.split_whitespace().collect())
        .collect()
}

/// To look at the samples: `OPCMS_SAMPLE_DIR=/tmp cargo test -p opcms-documents`.
fn save_sample(name: &str, pdf: &[u8]) {
    if let Some(dir) = std::env::var_os("OPCMS_SAMPLE_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.pdf")), pdf).unwrap();
    }
}

fn compact(text: &str) -> String {
    text.split_whitespace().collect()
}

#[test]
fn a_bill_of_sixty_lines_reads_back_in_chinese_over_several_pages() {
    let bill = bill(60);
    let pdf = render_bill(&bill).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    save_sample("bill-60-lines", &pdf);

    let pages = pages(&pdf);
    assert!(pages.len() > 1, "60 lines need more than one page, got {}", pages.len());
    let all: String = pages.concat();

    for expected in [
        "上海喆堃信息科技有限公司",
        "北京珺赟贸易有限公司",
        "C000123",
        "B202611-000012",
        "账单",
        "2026年11月",
        "未结算",
        "壹拾叁万陆仟元整",
        "136000.00",
        "小计",
        "红冲/调整",
        "应付合计",
        "2026-12-15",
        "招商银行上海张江支行",
        "6225880123456789",
        "税号：91310115MA1K4XXXX0",
        "请在汇款附言中注明账单编号",
        "如对账单有疑问",
        "标准阶梯价v3",
    ] {
        assert!(all.contains(expected), "{expected} missing from the PDF text");
    }
    // A tier row: range, quantity, unit price and amount, in order.
    assert!(
        all.contains(&compact("5000 以上 7500 0.4067 3050.25")),
        "tier row missing"
    );
    assert!(all.contains(&compact("1000 – 5000 4000 0.4500 1800.00")));
    // Every line made it, the last one included.
    assert!(all.contains("X57系列用量"));
    assert!(all.contains("短信通道服务费59"));
    // Page numbers, and the running header on continuation pages.
    let count = pages.len();
    for (index, page) in pages.iter().enumerate() {
        assert!(
            page.contains(&format!("第{}页/共{}页", index + 1, count)),
            "page {} has no page number",
            index + 1
        );
        assert!(page.contains("B202611-000012"));
    }
    assert!(pages[1].contains("账单B202611-000012（续）"));
}

#[test]
fn a_short_bill_is_one_page_and_options_may_be_absent() {
    let mut bill = bill(2);
    bill.company = CompanyHeader {
        name: "Acme 有限公司".to_owned(),
        ..CompanyHeader::default()
    };
    bill.credited = None;
    bill.allocated = None;
    bill.outstanding = None;
    bill.customer_address = None;
    bill.plan_label = None;
    bill.remarks = None;
    bill.issued_on = None;
    bill.due_on = None;
    let pdf = render_bill(&bill).unwrap();
    let pages = pages(&pdf);
    assert_eq!(pages.len(), 1);
    assert!(pages[0].contains("Acme有限公司"));
    assert!(!pages[0].contains("红冲"));
    assert!(!pages[0].contains("付款信息"));
    assert!(pages[0].contains("第1页/共1页"));
}

#[test]
fn draft_and_void_bills_carry_their_status_as_a_watermark() {
    for status in ["草稿", "作废"] {
        let mut bill = bill(3);
        bill.status_label = status.to_owned();
        let pdf = render_bill(&bill).unwrap();
        save_sample(&format!("bill-{status}"), &pdf);
        let text = pages(&pdf).concat();
        // Once in the header, once as the watermark.
        assert!(text.matches(status).count() >= 2, "{status}: {text}");
    }
    let issued = render_bill(&bill(3)).unwrap();
    assert!(!pages(&issued).concat().contains("草稿"));
}

#[test]
fn an_empty_bill_and_very_long_texts_still_render() {
    let mut empty = bill(0);
    empty.subtotal = "0.00".to_owned();
    empty.total = "0.00".to_owned();
    empty.total_in_words = "零元整".to_owned();
    let text = pages(&render_bill(&empty).unwrap()).concat();
    assert!(text.contains("无明细"));
    assert!(text.contains("零元整"));

    let mut long = bill(1);
    long.lines[0].description = "很长的说明".repeat(400);
    long.lines[0].amount = "123456789012345.67".to_owned();
    long.remarks = Some("备注内容。".repeat(600));
    let pages = pages(&render_bill(&long).unwrap());
    assert!(pages.len() > 2, "long texts continue on further pages");
    assert!(pages.concat().contains("123456789012345.67"));
}

#[test]
fn rendering_is_deterministic() {
    let bill = bill(10);
    assert_eq!(render_bill(&bill).unwrap(), render_bill(&bill).unwrap());
}

#[test]
fn rendering_time() {
    // Printed, not asserted: `cargo test -p opcms-documents --release rendering_time -- --nocapture`.
    for lines in [10, 60, 300] {
        let bill = bill(lines);
        render_bill(&bill).unwrap(); // warm the font
        let runs = 3;
        let start = Instant::now();
        let mut size = 0;
        for _ in 0..runs {
            size = render_bill(&bill).unwrap().len();
        }
        let each = start.elapsed() / runs;
        println!("{lines} lines: {each:?} per bill, {size} bytes");
    }
}

#[test]
fn characters_outside_the_font_do_not_fail_the_render() {
    // 龘 and 𠮷 (outside the BMP) are in neither GB 2312 nor CC-CEDICT's simplified set.
    let mut bill = bill(1);
    bill.customer_name = "龘𠮷测试公司".to_owned();
    let pdf = render_bill(&bill).unwrap();
    save_sample("bill-missing-glyphs", &pdf);
    // They print as the font's empty box (.notdef); the rest reads back.
    assert!(pages(&pdf).concat().contains("测试公司（C000123）"));
}

#[test]
fn threads_render_side_by_side_with_the_shared_font() {
    let expected = render_bill(&bill(20)).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| render_bill(&bill(20)).unwrap()))
        .collect();
    for handle in handles {
        assert!(handle.join().unwrap() == expected);
    }
}

mod statements {
    use std::time::Instant;

    use opcms_documents::{StatementPdf, StatementPdfLine, render_statement};

    fn statement(lines: usize) -> StatementPdf {
        StatementPdf {
            company: super::company(),
            customer_name: "上海星河物业管理有限公司".to_owned(),
            customer_code: "C000123".to_owned(),
            period: "2026-11-01 至 2026-11-30".to_owned(),
            printed_on: "2026-12-05".to_owned(),
            opening_balance: "1,000.00".to_owned(),
            debits: "12,345.67".to_owned(),
            credits: "3,000.00".to_owned(),
            closing_balance: "10,345.67".to_owned(),
            closing_label: "应收余额".to_owned(),
            closing_in_words: "壹万零叁佰肆拾伍元陆角柒分".to_owned(),
            lines: (0..lines)
                .map(|i| StatementPdfLine {
                    date: "2026-11-03".to_owned(),
                    document_no: format!("B202610-{i:06}"),
                    description: "2026年10月账单".to_owned(),
                    debit: "12,345.67".to_owned(),
                    credit: String::new(),
                    balance: "13,345.67".to_owned(),
                })
                .collect(),
        }
    }

    #[test]
    fn a_statement_reads_back_with_its_header_balances_and_lines() {
        let start = Instant::now();
        let bytes = render_statement(&statement(3)).unwrap();
        eprintln!("statement of 3 lines: {:?}", start.elapsed());
        let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
        let flat: String = text.split_whitespace().collect();
        for needle in [
            "上海喆堃信息科技有限公司",
            "税号：91310115MA1K4XXXX0",
            "对账单",
            "上海星河物业管理有限公司（C000123）",
            "期初余额",
            "1,000.00",
            "期末余额",
            "10,345.67",
            "B202610-000002",
            "2026年10月账单",
            "壹万零叁佰肆拾伍元陆角柒分",
            "第1页/共1页",
        ] {
            assert!(flat.contains(needle), "{needle} missing from: {flat}");
        }
    }

    #[test]
    fn an_empty_period_prints_its_balances_and_says_so() {
        let mut s = statement(0);
        s.debits = "0.00".into();
        s.credits = "0.00".into();
        let bytes = render_statement(&s).unwrap();
        let flat: String = pdf_extract::extract_text_from_mem(&bytes)
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(flat.contains("本期无往来"), "{flat}");
    }

    #[test]
    fn a_long_statement_runs_over_pages_numbered() {
        let start = Instant::now();
        let bytes = render_statement(&statement(200)).unwrap();
        eprintln!("statement of 200 lines: {:?}", start.elapsed());
        let flat: String = pdf_extract::extract_text_from_mem(&bytes)
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(flat.contains("B202610-000199"), "last line");
        assert!(flat.contains("（续）"), "continuation header");
        let total: String = flat
            .split("/共")
            .nth(1)
            .unwrap()
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        assert!(total.parse::<u32>().unwrap() >= 3, "pages: {total}");
    }
}

mod reports {
    use opcms_documents::{ReportColumn, ReportPdf, render_report};

    fn column(title: &str, weight: f32, right: bool, wrap: bool) -> ReportColumn {
        ReportColumn {
            title: title.to_owned(),
            weight,
            right,
            wrap,
        }
    }

    fn report(rows: usize) -> ReportPdf {
        ReportPdf {
            company_name: "上海喆堃信息科技有限公司".to_owned(),
            title: "流失预警 2026-11-20".to_owned(),
            meta: vec![
                ("数据范围".to_owned(), "全部客户".to_owned()),
                ("打印时间".to_owned(), "2026-12-05 09:30".to_owned()),
            ],
            figures: vec![("高风险".to_owned(), "2".to_owned()), ("中风险".to_owned(), "1".to_owned())],
            columns: vec![
                column("客户编号", 1.0, false, false),
                column("客户名称", 2.0, false, false),
                column("依据", 4.0, false, true),
                column("金额", 1.2, true, false),
            ],
            rows: (0..rows)
                .map(|i| {
                    vec![
                        format!("C{i:06}"),
                        "上海星河物业管理有限公司".to_owned(),
                        "上月（2026-10）用量 40，前三个月平均 100，下降 60%；逾期超过 30 天未付 700.00 元，最早 2026-09-15 到期"
                            .to_owned(),
                        "1,234.50".to_owned(),
                    ]
                })
                .collect(),
            empty_text: "无数据".to_owned(),
        }
    }

    #[test]
    fn a_report_reads_back_with_its_title_figures_and_rows() {
        let bytes = render_report(&report(2)).unwrap();
        let flat: String = pdf_extract::extract_text_from_mem(&bytes)
            .unwrap()
            .split_whitespace()
            .collect();
        for needle in [
            "上海喆堃信息科技有限公司",
            "流失预警2026-11-20",
            "数据范围：全部客户",
            "高风险",
            "客户编号",
            "C000001",
            "下降60%",
            "1,234.50",
            "第1页/共1页",
        ] {
            assert!(flat.contains(needle), "{needle} missing from: {flat}");
        }
    }

    #[test]
    fn an_empty_report_says_so_and_a_long_one_repeats_its_header() {
        let flat: String = pdf_extract::extract_text_from_mem(&render_report(&report(0)).unwrap())
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(flat.contains("无数据"), "{flat}");
        let flat: String = pdf_extract::extract_text_from_mem(&render_report(&report(150)).unwrap())
            .unwrap()
            .split_whitespace()
            .collect();
        assert!(flat.contains("C000149") && flat.contains("（续）"), "continued");
        assert!(flat.matches("客户编号").count() >= 3, "the header on every page");
    }
}
