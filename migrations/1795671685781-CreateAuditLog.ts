import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateAuditLog1795671685781 implements MigrationInterface {
    name = 'CreateAuditLog1795671685781'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "audit_checkpoint" ("seq" bigint NOT NULL, "hash" character(64) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "jws" text NOT NULL, CONSTRAINT "PK_bbe7947942cf3aa13ede7d7b301" PRIMARY KEY ("seq"))`);
        await queryRunner.query(`CREATE TABLE "audit_log" ("seq" bigint NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor" character varying(63) NOT NULL, "action" character varying(64) NOT NULL, "target" character varying(256), "details" jsonb NOT NULL, "concerns" character varying(63) array NOT NULL DEFAULT '{}', "prev_hash" character(64) NOT NULL, "hash" character(64) NOT NULL, CONSTRAINT "PK_ce5b9b7d945cab0a6c604bafd9e" PRIMARY KEY ("seq"))`);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_at" ON "audit_log"  ("at") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_target" ON "audit_log"  ("target", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_action" ON "audit_log"  ("action", "seq") `);
        await queryRunner.query(`CREATE INDEX "ix_audit_log_actor" ON "audit_log"  ("actor", "seq") `);
        // Written by hand (TypeORM does not model these): the access-transparency index and immutability.
        await queryRunner.query(`CREATE INDEX "ix_audit_log_concerns" ON "audit_log" USING GIN ("concerns")`);
        await queryRunner.query(`CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP USING ERRCODE = 'insufficient_privilege';
            END $$`);
        for (const table of ['audit_log', 'audit_checkpoint']) {
            await queryRunner.query(`CREATE TRIGGER ${table}_no_update_delete BEFORE UPDATE OR DELETE ON "${table}" FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
            await queryRunner.query(`CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON "${table}" FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
        }
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        for (const table of ['audit_log', 'audit_checkpoint']) {
            await queryRunner.query(`DROP TRIGGER ${table}_no_truncate ON "${table}"`);
            await queryRunner.query(`DROP TRIGGER ${table}_no_update_delete ON "${table}"`);
        }
        await queryRunner.query(`DROP FUNCTION audit_refuse_change()`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_concerns"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_actor"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_action"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_target"`);
        await queryRunner.query(`DROP INDEX "public"."ix_audit_log_at"`);
        await queryRunner.query(`DROP TABLE "audit_log"`);
        await queryRunner.query(`DROP TABLE "audit_checkpoint"`);
    }

}
