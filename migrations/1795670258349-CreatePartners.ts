import { MigrationInterface, QueryRunner } from "typeorm";

export class CreatePartners1795670258349 implements MigrationInterface {
    name = 'CreatePartners1795670258349'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "partner" ("id" character varying(63) NOT NULL, "name" character varying(200) NOT NULL, "kind" character varying(20) NOT NULL, "status" character varying(20) NOT NULL DEFAULT 'ACTIVE', "trust_weight" numeric(4,3) NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "ck_partner_trust_weight" CHECK ("trust_weight" >= 0 AND "trust_weight" <= 1), CONSTRAINT "ck_partner_status" CHECK ("status" IN ('ACTIVE', 'SUSPENDED')), CONSTRAINT "ck_partner_kind" CHECK ("kind" IN ('BANK', 'ECOMMERCE', 'LEGAL', 'INTERNAL_SCORER', 'OPERATOR')), CONSTRAINT "ck_partner_id" CHECK ("id" ~ '^[a-z0-9][a-z0-9-]{1,62}$'), CONSTRAINT "PK_8f34ff11ddd5459eacbfacd48ca" PRIMARY KEY ("id"))`);
        await queryRunner.query(`CREATE TABLE "partner_key" ("partner_id" character varying(63) NOT NULL, "kid" character varying(128) NOT NULL, "alg" character varying(10) NOT NULL, "jwk" jsonb NOT NULL, "status" character varying(10) NOT NULL DEFAULT 'ACTIVE', "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), "revoked_at" TIMESTAMP WITH TIME ZONE, CONSTRAINT "ck_partner_key_alg" CHECK ("alg" IN ('EdDSA', 'ES256', 'PS256')), CONSTRAINT "ck_partner_key_status" CHECK ("status" IN ('ACTIVE', 'REVOKED')), CONSTRAINT "PK_450c05219793b93d816758ef2e2" PRIMARY KEY ("partner_id", "kid"))`);
        await queryRunner.query(`CREATE INDEX "ix_partner_key_active" ON "partner_key"  ("partner_id", "status") `);
        await queryRunner.query(`ALTER TABLE "partner_key" ADD CONSTRAINT "FK_df00846ea5c1749a158a72ab25c" FOREIGN KEY ("partner_id") REFERENCES "partner"("id") ON DELETE RESTRICT ON UPDATE NO ACTION`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "partner_key" DROP CONSTRAINT "FK_df00846ea5c1749a158a72ab25c"`);
        await queryRunner.query(`DROP INDEX "public"."ix_partner_key_active"`);
        await queryRunner.query(`DROP TABLE "partner_key"`);
        await queryRunner.query(`DROP TABLE "partner"`);
    }

}
