import { MigrationInterface, QueryRunner } from "typeorm";

// OAuth token endpoint: the jti of every accepted client assertion, until it could no longer be
// accepted, so each is single-use across replicas (the primary key decides).

export class AddOAuthClientAssertions1795995092938 implements MigrationInterface {
    name = 'AddOAuthClientAssertions1795995092938'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "oauth_client_assertion" ("partner_id" character varying(63) NOT NULL, "jti" character varying(128) NOT NULL, "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL, CONSTRAINT "PK_bd8451e40162ee0eb9df34abf01" PRIMARY KEY ("partner_id", "jti"))`);
        await queryRunner.query(`CREATE INDEX "ix_oauth_client_assertion_expires" ON "oauth_client_assertion"  ("expires_at") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_oauth_client_assertion_expires"`);
        await queryRunner.query(`DROP TABLE "oauth_client_assertion"`);
    }

}
