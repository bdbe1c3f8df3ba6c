import { MigrationInterface, QueryRunner } from "typeorm";

// A score read asks for a subject's signals, whether a bank froze or closed it, and a page of its
// flags. With only (subject, received_at), each of these read every event of the subject: 10,000
// flags on one subject cost three scans of 10,000 rows per read. Led by (subject, type) the
// signals and the flag pages (newest first, by received_at and id) are read in index order, and
// the few freeze and close flags have a partial index of their own.
export class AddEventSubjectTypeIndexes1795986736997 implements MigrationInterface {
    name = 'AddEventSubjectTypeIndexes1795986736997'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE INDEX "ix_event_subject_type" ON "event" ("subject", "type", "received_at", "id") `);
        await queryRunner.query(`CREATE INDEX "ix_event_subject_freeze" ON "event" ("subject") WHERE "type" = 'ACCOUNT_FLAG' AND "action" IN ('freeze', 'close')`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP INDEX "public"."ix_event_subject_freeze"`);
        await queryRunner.query(`DROP INDEX "public"."ix_event_subject_type"`);
    }

}
