import { describe, expect, it } from 'vitest';
import { checkReadOnlySql } from '../../store/read-only-sql.js';

describe('checkReadOnlySql', () => {
  it('accepts read-only statements and strips one trailing semicolon', () => {
    expect(checkReadOnlySql('SELECT 1')).toBe('SELECT 1');
    expect(checkReadOnlySql('  with x AS (SELECT 1) SELECT * FROM x ;  ')).toBe('  with x AS (SELECT 1) SELECT * FROM x');
    expect(checkReadOnlySql('SHOW TABLES')).toBe('SHOW TABLES');
    expect(checkReadOnlySql('DESCRIBE TABLE otel_traces')).toBe('DESCRIBE TABLE otel_traces');
    expect(checkReadOnlySql("SELECT ';' AS semi, 'it''s' AS q -- trailing ; comment")).toContain("'it''s'");
  });

  it('refuses writes, DDL and several statements, naming the problem', () => {
    expect(() => checkReadOnlySql('INSERT INTO t VALUES (1)')).toThrow(/read-only statements .* got INSERT/);
    expect(() => checkReadOnlySql('drop table otel_traces')).toThrow(/got DROP/);
    expect(() => checkReadOnlySql('SELECT 1; DROP TABLE t')).toThrow(/one statement/);
    expect(() => checkReadOnlySql('   ')).toThrow(/empty/);
    expect(() => checkReadOnlySql('/* only a comment */')).toThrow(/empty/);
  });

  it('refuses input that would swallow the appended readonly setting', () => {
    expect(() => checkReadOnlySql('SELECT 1 /* unterminated')).toThrow(/unterminated \/\* comment/);
    expect(() => checkReadOnlySql("SELECT 'unterminated")).toThrow(/unterminated string/);
    expect(() => checkReadOnlySql('SELECT 1 FORMAT CSV')).toThrow(/FORMAT clause/);
  });

  it('does not mistake keywords inside strings or identifiers for statements', () => {
    expect(checkReadOnlySql("SELECT 'FORMAT; DROP' AS `FORMAT`")).toBe("SELECT 'FORMAT; DROP' AS `FORMAT`".replace(/ AS `FORMAT`$/, ' AS `FORMAT`'));
  });
});
