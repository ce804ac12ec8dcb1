package store

import (
	"context"
	"database/sql"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" database/sql driver
	lifeline "github.com/lifeline-health/lifeline"
)

func (db *DB) openPostgres(ctx context.Context, dsn string) error {
	p, err := sql.Open("pgx", dsn)
	if err != nil {
		return lifeline.Wrapf(lifeline.EINVALID, err, lifeline.T("数据库地址无效", "invalid database URL"))
	}
	p.SetMaxOpenConns(32)
	p.SetMaxIdleConns(32)
	if err := p.PingContext(ctx); err != nil {
		p.Close()
		return lifeline.Wrapf(lifeline.EUNAVAILABLE, err, lifeline.T("无法连接 PostgreSQL 数据库", "cannot connect to the PostgreSQL database"))
	}
	db.w, db.r, db.log, db.dialect = p, p, p, Postgres
	return nil
}
