import { MigrationInterface, QueryRunner } from "typeorm";

// Token profile v1.1: RSA keys may be registered for RS256 (RSASSA-PKCS1-v1_5) as well as PS256 (SSF and CAEP
// transmitters sign with RS256). Each key still verifies its one registered algorithm.
export class AllowRsaPkcsKeys1795984549267 implements MigrationInterface {
    name = 'AllowRsaPkcsKeys1795984549267'

    public async up(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "partner_key" DROP CONSTRAINT "ck_partner_key_alg"`);
        await queryRunner.query(`ALTER TABLE "partner_key" ADD CONSTRAINT "ck_partner_key_alg" CHECK ("alg" IN ('EdDSA', 'ES256', 'PS256', 'RS256'))`);
    }

    public async down(queryRunner: QueryRunner): Promise<void> {
        await queryRunner.query(`ALTER TABLE "partner_key" DROP CONSTRAINT "ck_partner_key_alg"`);
        await queryRunner.query(`ALTER TABLE "partner_key" ADD CONSTRAINT "ck_partner_key_alg" CHECK ("alg" IN ('EdDSA', 'ES256', 'PS256'))`);
    }

}
