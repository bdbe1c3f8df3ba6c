import { MigrationInterface, QueryRunner } from "typeorm";

export class AddRateLimits1795674960215 implements MigrationInterface {
    name = 'AddRateLimits1795674960215'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`CREATE TABLE "rate_limit_window" ("partner_id" character varying(63) NOT NULL, "window_start" TIMESTAMP WITH TIME ZONE NOT NULL, "cost" bigint NOT NULL, CONSTRAINT "PK_0a0c49a3efd534373fcaa0411c4" PRIMARY KEY ("partner_id", "window_start"))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`DROP TABLE "rate_limit_window"`);
    }

}
