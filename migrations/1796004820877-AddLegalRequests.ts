import { MigrationInterface, QueryRunner } from "typeorm";

export class AddLegalRequests1796004820877 implements MigrationInterface {
    name = 'AddLegalRequests1796004820877'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "legal_request" ("id" uuid NOT NULL, "requester" character varying(63) NOT NULL, "kind" character varying(16) NOT NULL, "subject" character varying(256) NOT NULL, "legal_basis" character varying(512) NOT NULL, "case_reference" character varying(128) NOT NULL, "authority" character varying(256) NOT NULL, "deadline" TIMESTAMP WITH TIME ZONE, "justification" character varying(4096), "token" text NOT NULL, "jti" character varying(128) NOT NULL, "status" character varying(16) NOT NULL, "submitted_at" TIMESTAMP WITH TIME ZONE NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, "decided_at" TIMESTAMP WITH TIME ZONE, "access_until" TIMESTAMP WITH TIME ZONE, "overdue_at" TIMESTAMP WITH TIME ZONE, "releases" uuid, "released_at" TIMESTAMP WITH TIME ZONE, "flag_event_id" uuid, CONSTRAINT "ck_legal_request_status" CHECK ("status" IN ('SUBMITTED', 'UNDER_REVIEW', 'APPROVED', 'REJECTED', 'FULFILLED', 'EXPIRED', 'WITHDRAWN')), CONSTRAINT "ck_legal_request_kind" CHECK ("kind" IN ('DISCLOSURE', 'FREEZE', 'PRESERVATION', 'RELEASE')), CONSTRAINT "PK_e38b344238607960e2ae37cb175" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_legal_request_subject" ON "legal_request"  ("subject", "kind", "status") `);
        await queryRunner.query(`CREATE INDEX "ix_legal_request_status" ON "legal_request"  ("status", "submitted_at") `);
        await queryRunner.query(`CREATE INDEX "ix_legal_request_requester" ON "legal_request"  ("requester", "submitted_at") `);
        await queryRunner.query(`CREATE TABLE "legal_request_history" ("id" uuid NOT NULL, "request_id" uuid NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "actor" character varying(63) NOT NULL, "action" character varying(16) NOT NULL, "from_status" character varying(16), "to_status" character varying(16) NOT NULL, "reason" character varying(2048), "details" jsonb, CONSTRAINT "PK_ea4df464d0b10bf845e166bd79f" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE UNIQUE INDEX "uq_legal_request_approval" ON "legal_request_history"  ("request_id", "actor") WHERE "action" = 'APPROVAL'`);
        await queryRunner.query(`CREATE INDEX "ix_legal_request_history_request" ON "legal_request_history"  ("request_id", "at") `);
        // Requests published before the workflow existed enter it as SUBMITTED, with a history entry saying so.
        await queryRunner.query(`INSERT INTO "legal_request" ("id", "requester", "kind", "subject", "legal_basis", "case_reference", "authority", "deadline", "justification", "token", "jti", "status", "submitted_at", "updated_at")
            SELECT e.id, e.issuer, upper(e.details->>'kind'), e.subject, coalesce(e.details->>'legal_basis', ''), coalesce(e.details->>'case_reference', ''), coalesce(e.details->>'authority', ''),
                CASE WHEN jsonb_typeof(e.details->'deadline') = 'number' THEN to_timestamp((e.details->>'deadline')::float8) END, e.details->>'justification', e.token, e.jti, 'SUBMITTED', e.received_at, e.received_at
            FROM "event" e WHERE e.type = 'LEGAL_REQUEST' AND upper(e.details->>'kind') IN ('DISCLOSURE', 'FREEZE', 'PRESERVATION')`);
        await queryRunner.query(`INSERT INTO "legal_request_history" ("id", "request_id", "at", "actor", "action", "from_status", "to_status", "reason", "details")
            SELECT gen_random_uuid(), r.id, r.submitted_at, r.requester, 'SUBMITTED', NULL, 'SUBMITTED', NULL, '{"migrated": true}'::jsonb FROM "legal_request" r`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_legal_request_history_request"`);
        await queryRunner.query(`DROP INDEX "public"."uq_legal_request_approval"`);
        await queryRunner.query(`DROP TABLE "legal_request_history"`);
        await queryRunner.query(`DROP INDEX "public"."ix_legal_request_requester"`);
        await queryRunner.query(`DROP INDEX "public"."ix_legal_request_status"`);
        await queryRunner.query(`DROP INDEX "public"."ix_legal_request_subject"`);
        await queryRunner.query(`DROP TABLE "legal_request"`);
    }

}
