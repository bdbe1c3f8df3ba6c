import { MigrationInterface, QueryRunner } from "typeorm";

// A retraction or lift finds its target by jti across issuers (to tell "not yours" from "unknown"):
// that lookup needs an index led by jti. Nothing filters events by grant_category alone; visibility
// checks it per row, so its index only cost every insert.

export class EventJtiIndex1795685836838 implements MigrationInterface {
    name = 'EventJtiIndex1795685836838'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_grant_category"`);
        await queryRunner.query(`CREATE INDEX "ix_event_jti" ON "event"  ("jti") `);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_jti"`);
        await queryRunner.query(`CREATE INDEX "ix_event_grant_category" ON "event" USING btree ("grant_category") `);
    }

}
