import { MigrationInterface, QueryRunner } from "typeorm";

// Inbound SSF (issue 14): static push tokens (hashed), and a partner's SSF issuer URL and iat window.

export class AddInboundSsf1795995021577 implements MigrationInterface {
    name = 'AddInboundSsf1795995021577'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "push_token" ("id" uuid NOT NULL, "partner_id" character varying(63) NOT NULL, "token_hash" character varying(64) NOT NULL, "hint" character varying(16) NOT NULL, "label" character varying(200), "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "created_by" character varying(63) NOT NULL, "revoked_at" TIMESTAMP WITH TIME ZONE, "revoked_by" character varying(63), CONSTRAINT "uq_push_token_hash" UNIQUE ("token_hash"), CONSTRAINT "PK_cdd834aa4f6dc2efd7df5041233" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_push_token_partner" ON "push_token"  ("partner_id", "created_at") `);
        await queryRunner.query(`ALTER TABLE "partner" ADD "ssf_issuer" character varying(512)`);
        await queryRunner.query(`ALTER TABLE "partner" ADD CONSTRAINT "UQ_88933c56905778bb97e3318207a" UNIQUE ("ssf_issuer")`);
        await queryRunner.query(`ALTER TABLE "partner" ADD "max_iat_age_seconds" integer`);
        await queryRunner.query(`ALTER TABLE "partner" ADD CONSTRAINT "ck_partner_max_iat_age" CHECK ("max_iat_age_seconds" IS NULL OR ("max_iat_age_seconds" >= 300 AND "max_iat_age_seconds" <= 2592000))`);
        await queryRunner.query(`ALTER TABLE "push_token" ADD CONSTRAINT "FK_516cae05953ca1c2f18fe4f5c5e" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "push_token" DROP CONSTRAINT "FK_516cae05953ca1c2f18fe4f5c5e"`);
        await queryRunner.query(`ALTER TABLE "partner" DROP CONSTRAINT "ck_partner_max_iat_age"`);
        await queryRunner.query(`ALTER TABLE "partner" DROP COLUMN "max_iat_age_seconds"`);
        await queryRunner.query(`ALTER TABLE "partner" DROP CONSTRAINT "UQ_88933c56905778bb97e3318207a"`);
        await queryRunner.query(`ALTER TABLE "partner" DROP COLUMN "ssf_issuer"`);
        await queryRunner.query(`DROP INDEX "public"."ix_push_token_partner"`);
        await queryRunner.query(`DROP TABLE "push_token"`);
    }

}
