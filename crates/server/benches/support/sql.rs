//! The few SQL expressions the seeding statements need, spelled for the
//! backend under test: the benches seed with set statements, and SQLite,
//! MariaDB/MySQL and PostgreSQL disagree on padding, concatenation and dates.

use sea_orm::DbBackend;

#[derive(Clone, Copy, Debug)]
pub struct Dialect(pub DbBackend);

impl Dialect {
    /// A derived table `(…) AS alias` of the integers `from..=to` in column
    /// `i`, from crossed digits (no recursive CTE: MariaDB stops those at
    /// 1,000 rows by default, MySQL too).
    pub fn numbers(&self, from: usize, to: usize, alias: &str) -> String {
        let span = to.saturating_sub(from) + 1;
        let mut places = 1;
        while 10usize.pow(places) < span {
            places += 1;
        }
        let digits = "(SELECT 0 AS d UNION ALL SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT 3 UNION ALL SELECT 4 \
                      UNION ALL SELECT 5 UNION ALL SELECT 6 UNION ALL SELECT 7 UNION ALL SELECT 8 UNION ALL SELECT 9)";
        let sum: Vec<String> = (0..places).map(|p| format!("{} * d{p}.d", 10usize.pow(p))).collect();
        let joins: Vec<String> = (0..places).map(|p| format!("{digits} AS d{p}")).collect();
        format!(
            "(SELECT i FROM (SELECT {from} + {} AS i FROM {}) AS raw_{alias} WHERE i <= {to}) AS {alias}",
            sum.join(" + "),
            joins.join(" CROSS JOIN ")
        )
    }

    /// A derived table `(…) AS alias` of these values in column `column`.
    pub fn values(&self, column: &str, values: &[&str], alias: &str) -> String {
        let rows: Vec<String> = values.iter().map(|v| format!("SELECT {v} AS {column}")).collect();
        format!("({}) AS {alias}", rows.join(" UNION ALL "))
    }

    /// The integer `expr` as text, zero-padded to `width`.
    pub fn pad(&self, expr: &str, width: usize) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("printf('%0{width}d', {expr})"),
            DbBackend::MySql => format!("LPAD({expr}, {width}, '0')"),
            _ => format!("lpad(CAST({expr} AS TEXT), {width}, '0')"),
        }
    }

    /// The text of the parts, one after another.
    pub fn concat(&self, parts: &[&str]) -> String {
        match self.0 {
            DbBackend::MySql => format!("CONCAT({})", parts.join(", ")),
            DbBackend::Postgres => {
                let texts: Vec<String> = parts.iter().map(|p| format!("CAST({p} AS TEXT)")).collect();
                texts.join(" || ")
            }
            _ => parts.join(" || "),
        }
    }

    /// A column name that is a reserved word somewhere (`lines` on MySQL).
    pub fn quote(&self, name: &str) -> String {
        match self.0 {
            DbBackend::MySql => format!("`{name}`"),
            _ => format!("\"{name}\""),
        }
    }

    /// A date literal (`yyyy-mm-dd`).
    pub fn date(&self, literal: &str) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("'{literal}'"),
            _ => format!("DATE '{literal}'"),
        }
    }

    /// The first day of month `month` (an expression, 1–12) of `year`.
    pub fn month_start(&self, year: i32, month: &str) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("printf('{year}-%02d-01', {month})"),
            DbBackend::MySql => format!("DATE_ADD(DATE '{year}-01-01', INTERVAL ({month}) - 1 MONTH)"),
            _ => format!("make_date({year}, CAST({month} AS INTEGER), 1)"),
        }
    }

    /// The date `days` (an expression) after the date `date`.
    pub fn add_days(&self, date: &str, days: &str) -> String {
        match self.0 {
            // A modifier such as '-3 days' or '45 days': the sign is the number's.
            DbBackend::Sqlite => format!("date({date}, ({days}) || ' days')"),
            DbBackend::MySql => format!("DATE_ADD({date}, INTERVAL ({days}) DAY)"),
            _ => format!("CAST({date} + CAST({days} AS INTEGER) AS DATE)"),
        }
    }

    /// The month of a date as `yyyymm`.
    pub fn yyyymm(&self, date: &str) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("CAST(strftime('%Y%m', {date}) AS INTEGER)"),
            DbBackend::MySql => format!("EXTRACT(YEAR_MONTH FROM {date})"),
            _ => format!("CAST(to_char({date}, 'YYYYMM') AS INTEGER)"),
        }
    }

    /// A UTC timestamp at `time` (`hh:mm:ss`) on the date `date`.
    pub fn at_time(&self, date: &str, time: &str) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("({date} || 'T{time}Z')"),
            DbBackend::MySql => format!("TIMESTAMP({date}, '{time}')"),
            _ => format!("(({date}) + TIME '{time}') AT TIME ZONE 'UTC'"),
        }
    }

    /// A UTC timestamp literal (`yyyy-mm-dd hh:mm:ss`).
    pub fn timestamp(&self, literal: &str) -> String {
        match self.0 {
            DbBackend::Sqlite => format!("'{}Z'", literal.replace(' ', "T")),
            DbBackend::MySql => format!("'{literal}'"),
            _ => format!("TIMESTAMPTZ '{literal}+00'"),
        }
    }
}
