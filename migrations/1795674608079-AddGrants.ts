import { MigrationInterface, QueryRunner } from "typeorm";

export class AddGrants1795674608079 implements MigrationInterface {
    name = 'AddGrants1795674608079'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "grant" ("id" uuid NOT NULL, "grantor" character varying(63) NOT NULL, "grantee" character varying(63) NOT NULL, "categories" character varying(32) array NOT NULL, "include_evidence" boolean NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, "purpose" character varying(500) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_grant_not_self" CHECK ("grantor" <> "grantee"), CONSTRAINT "PK_451b51b02b610d55f542c542aa2" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_grant_grantee" ON "grant"  ("grantee") `);
        await queryRunner.query(`CREATE INDEX "ix_grant_lookup" ON "grant"  ("grantor", "grantee") `);
        await queryRunner.query(`ALTER TABLE "event" ADD "grant_category" character varying(32)`);
        await queryRunner.query(`CREATE INDEX "ix_event_grant_category" ON "event"  ("grant_category") `);
        // Backfill (written by hand): signals share by category, flags and lifts as account_flag,
        // retractions and lifts like the event they act on.
        await queryRunner.query(`UPDATE "event" SET "grant_category" = CASE "type" WHEN 'RISK_SIGNAL' THEN "category" WHEN 'ACCOUNT_FLAG' THEN 'account_flag' WHEN 'FLAG_LIFTED' THEN 'account_flag' ELSE NULL END`);
        await queryRunner.query(`UPDATE "event" e SET "grant_category" = t."grant_category", "distribution" = t."distribution" FROM "event" t WHERE e."type" IN ('RETRACTION', 'FLAG_LIFTED') AND t."issuer" = e."issuer" AND t."jti" = e."target_jti"`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_grant_category"`);
        await queryRunner.query(`ALTER TABLE "event" DROP COLUMN "grant_category"`);
        await queryRunner.query(`DROP INDEX "public"."ix_grant_lookup"`);
        await queryRunner.query(`DROP INDEX "public"."ix_grant_grantee"`);
        await queryRunner.query(`DROP TABLE "grant"`);
    }

}
