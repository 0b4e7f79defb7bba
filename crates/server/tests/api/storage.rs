//! Exactness of money storage on each backend (DESIGN.md §2, §15).

use opcms::db::columns::{fixed4, id};
use opcms_domain::Fixed4;
use sea_orm::sea_query::{Alias, Query, Table};
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement};

use crate::backend_tests;
use crate::helpers::*;

backend_tests!(money_round_trips_and_sums_exactly_in_sql);

#[derive(Debug, FromQueryResult)]
struct Amount {
    amount: i64,
}

async fn money_round_trips_and_sums_exactly_in_sql(app: TestApp) {
    let db = &app.db;
    let backend = db.get_database_backend();
    let table = Alias::new("money_probe");
    let create = Table::create()
        .table(table.clone())
        .col(id("id"))
        .col(fixed4("amount"))
        .to_owned();
    db.execute(&create).await.unwrap();

    let values = ["0.0001", "12345678.1234", "1234567890123.4567"];
    for text in values {
        let amount: Fixed4 = text.parse().unwrap();
        let insert = Query::insert()
            .into_table(table.clone())
            .columns([Alias::new("amount")])
            .values_panic([amount.units().into()])
            .to_owned();
        db.execute(&insert).await.unwrap();
    }

    let select = Query::select()
        .column(Alias::new("amount"))
        .from(table)
        .order_by(Alias::new("id"), sea_orm::Order::Asc)
        .to_owned();
    let rows = Amount::find_by_statement(backend.build(&select)).all(db).await.unwrap();
    let read: Vec<String> = rows
        .iter()
        .map(|r| Fixed4::from_units(r.amount).to_decimal().to_string())
        .collect();
    assert_eq!(read, values);

    // SUM of BIGINT is DECIMAL on MySQL, NUMERIC on PostgreSQL and INTEGER on
    // SQLite: all exact; cast back to a 64-bit integer to read one type.
    let integer = if backend == DbBackend::MySql {
        "SIGNED"
    } else {
        "BIGINT"
    };
    let sum = Statement::from_string(
        backend,
        format!("SELECT CAST(SUM(amount) AS {integer}) AS amount FROM money_probe"),
    );
    let total = Amount::find_by_statement(sum).one(db).await.unwrap().unwrap();
    assert_eq!(total.amount, 1 + 123_456_781_234 + 12_345_678_901_234_567);
    assert_eq!(
        Fixed4::from_units(total.amount).to_decimal().to_string(),
        "1234580235801.5802"
    );
}
