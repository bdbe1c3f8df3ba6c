import { MigrationInterface, QueryRunner } from "typeorm";

// A retraction or lift finds its target by jti across issuers (to tell "not yours" from "unknown"):
// that lookup scanned the table. The unique constraint now leads with jti, so its one index serves
// that lookup, the per-issuer duplicate check and exactly-once inserts. Nothing filters events by
// grant_category alone (visibility checks it per row), so that index only cost every insert.
export class EventJtiIndex1795685836838 implements MigrationInterface {
    name = 'EventJtiIndex1795685836838'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_grant_category"`);
        await queryRunner.query(`ALTER TABLE "event" DROP CONSTRAINT "uq_event_issuer_jti"`);
        await queryRunner.query(`ALTER TABLE "event" ADD CONSTRAINT "uq_event_jti_issuer" UNIQUE ("jti", "issuer")`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "event" DROP CONSTRAINT "uq_event_jti_issuer"`);
        await queryRunner.query(`ALTER TABLE "event" ADD CONSTRAINT "uq_event_issuer_jti" UNIQUE ("issuer", "jti")`);
        await queryRunner.query(`CREATE INDEX "ix_event_grant_category" ON "event" USING btree ("grant_category") `);
    }

}
