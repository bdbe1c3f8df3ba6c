import { MigrationInterface, QueryRunner } from "typeorm";

// How far the gateway has verified the audit chain itself, so a partner's checkpoint verification
// costs what is new since then instead of the whole log. One row, starting before entry 1.

export class AddAuditVerifiedMark1795985780542 implements MigrationInterface {
    name = 'AddAuditVerifiedMark1795985780542'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "audit_verified_mark" ("id" smallint NOT NULL, "seq" bigint NOT NULL, "hash" character(64) NOT NULL, "verified_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_audit_verified_mark_one_row" CHECK ("id" = 1), CONSTRAINT "PK_7c2ce8b5a9d5b5a631ebe3e8f4f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`INSERT INTO "audit_verified_mark" ("id", "seq", "hash", "verified_at") VALUES (1, 0, repeat('0', 64), now())`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "audit_verified_mark"`);
    }

}
