import { MigrationInterface, QueryRunner } from "typeorm";

export class CreateEvents1795673787709 implements MigrationInterface {
    name = 'CreateEvents1795673787709'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "event" ("id" uuid NOT NULL, "issuer" character varying(63) NOT NULL, "jti" character varying(128) NOT NULL, "kid" character varying(128) NOT NULL, "subject" character varying(256) NOT NULL, "type" character varying(16) NOT NULL, "category" character varying(32), "action" character varying(16), "score" numeric(7,6), "confidence" numeric(7,6), "reason_codes" character varying(64) array, "distribution" character varying(16), "observed_at" TIMESTAMP WITH TIME ZONE, "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL, "effective_at" TIMESTAMP WITH TIME ZONE, "expires_at" TIMESTAMP WITH TIME ZONE, "evidence" jsonb, "txn" character varying(128), "target_jti" character varying(128), "details" jsonb, "token" text NOT NULL, "received_at" TIMESTAMP WITH TIME ZONE NOT NULL, "status" character varying(16) NOT NULL DEFAULT 'ACTIVE', "status_changed_at" TIMESTAMP WITH TIME ZONE, "status_changed_by" uuid, "legal_hold" boolean NOT NULL DEFAULT false, CONSTRAINT "uq_event_issuer_jti" UNIQUE ("issuer", "jti"), CONSTRAINT "ck_event_type" CHECK ("type" IN ('RISK_SIGNAL', 'ACCOUNT_FLAG', 'FLAG_LIFTED', 'RETRACTION', 'LEGAL_REQUEST')), CONSTRAINT "ck_event_status" CHECK ("status" IN ('ACTIVE', 'RETRACTED', 'LIFTED')), CONSTRAINT "PK_30c2f3bbaf6d34a55f8ae6e4614" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_event_expires" ON "event"  ("expires_at") `);
        await queryRunner.query(`CREATE INDEX "ix_event_issuer" ON "event"  ("issuer", "received_at") `);
        await queryRunner.query(`CREATE INDEX "ix_event_subject" ON "event"  ("subject", "received_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_subject"`);
        await queryRunner.query(`DROP INDEX "public"."ix_event_issuer"`);
        await queryRunner.query(`DROP INDEX "public"."ix_event_expires"`);
        await queryRunner.query(`DROP TABLE "event"`);
    }

}
