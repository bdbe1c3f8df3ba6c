import { MigrationInterface, QueryRunner } from "typeorm";

// Delivery (SSF transmitter): streams, the subjects they watch, and the delivery ledger + outbox.

export class AddDelivery1795994413744 implements MigrationInterface {
    name = 'AddDelivery1795994413744'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "ssf_stream" ("id" uuid NOT NULL, "owner" character varying(63) NOT NULL, "aud" character varying(256) NOT NULL, "description" character varying(1024), "events_requested" character varying array NOT NULL, "delivery_method" character varying(64) NOT NULL, "endpoint_url" character varying(2048), "authorization_header" character varying(4096), "signing_alg" character varying(8) NOT NULL DEFAULT 'EdDSA', "min_verification_interval" integer NOT NULL DEFAULT '30', "status" character varying(16) NOT NULL DEFAULT 'enabled', "status_reason" character varying(512), "last_verification_at" TIMESTAMP WITH TIME ZONE, "consecutive_failures" integer NOT NULL DEFAULT '0', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "ck_ssf_stream_alg" CHECK ("signing_alg" IN ('EdDSA', 'RS256')), CONSTRAINT "ck_ssf_stream_method" CHECK ("delivery_method" IN ('urn:ietf:rfc:8935', 'urn:ietf:rfc:8936')), CONSTRAINT "ck_ssf_stream_status" CHECK ("status" IN ('enabled', 'paused', 'disabled')), CONSTRAINT "PK_a8f1f0487ee5bb2d5988db8307d" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_ssf_stream_owner" ON "ssf_stream"  ("owner", "created_at") `);
        await queryRunner.query(`CREATE TABLE "ssf_stream_subject" ("stream_id" uuid NOT NULL, "subject" character varying(256) NOT NULL, "added_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_c4e676016e514ffeee6fe425751" PRIMARY KEY ("stream_id", "subject"))`);
        await queryRunner.query(`CREATE INDEX "ix_ssf_stream_subject_subject" ON "ssf_stream_subject"  ("subject") `);
        await queryRunner.query(`CREATE TABLE "delivery" ("id" uuid NOT NULL, "stream_id" uuid NOT NULL, "receiver" character varying(63) NOT NULL, "event_id" uuid, "event_type" character varying(256) NOT NULL, "payload" jsonb NOT NULL, "token" text, "state" character varying(16) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL, "first_sent_at" TIMESTAMP WITH TIME ZONE, "acked_at" TIMESTAMP WITH TIME ZONE, "attempts" integer NOT NULL DEFAULT '0', "next_attempt_at" TIMESTAMP WITH TIME ZONE, "last_error" character varying(512), "set_err_code" character varying(64), "set_err_description" character varying(512), CONSTRAINT "ck_delivery_state" CHECK ("state" IN ('PENDING', 'HELD', 'ACKED', 'DEAD')), CONSTRAINT "PK_ffad7bf84e68716cd9af89003b0" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_delivery_due" ON "delivery"  ("next_attempt_at") WHERE "state" = 'PENDING' AND "next_attempt_at" IS NOT NULL`);
        await queryRunner.query(`CREATE INDEX "ix_delivery_event" ON "delivery"  ("event_id") `);
        await queryRunner.query(`CREATE INDEX "ix_delivery_stream_state" ON "delivery"  ("stream_id", "state", "created_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_delivery_stream_state"`);
        await queryRunner.query(`DROP INDEX "public"."ix_delivery_event"`);
        await queryRunner.query(`DROP INDEX "public"."ix_delivery_due"`);
        await queryRunner.query(`DROP TABLE "delivery"`);
        await queryRunner.query(`DROP INDEX "public"."ix_ssf_stream_subject_subject"`);
        await queryRunner.query(`DROP TABLE "ssf_stream_subject"`);
        await queryRunner.query(`DROP INDEX "public"."ix_ssf_stream_owner"`);
        await queryRunner.query(`DROP TABLE "ssf_stream"`);
    }

}
