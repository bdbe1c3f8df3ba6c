import { MigrationInterface, QueryRunner } from "typeorm";

export class AddScores1795676730343 implements MigrationInterface {
    name = 'AddScores1795676730343'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "subject_score" ("subject" character varying(256) NOT NULL, "score" numeric(7,6) NOT NULL, "tier" character varying(16) NOT NULL, "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_d062b37590c431d9928767b645a" PRIMARY KEY ("subject"))`);
        await queryRunner.query(`CREATE TABLE "score_history" ("id" uuid NOT NULL, "subject" character varying(256) NOT NULL, "at" TIMESTAMP WITH TIME ZONE NOT NULL, "tier" character varying(16) NOT NULL, "previous_tier" character varying(16) NOT NULL, "score" numeric(7,6) NOT NULL, "caused_by" uuid array NOT NULL, CONSTRAINT "PK_4db9bfe50f50c7737fc04c2fb2a" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE INDEX "ix_score_history_subject" ON "score_history"  ("subject", "at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_score_history_subject"`);
        await queryRunner.query(`DROP TABLE "score_history"`);
        await queryRunner.query(`DROP TABLE "subject_score"`);
    }

}
