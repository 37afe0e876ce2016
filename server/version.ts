/** The product version (keep equal to package.json's; the CLI and the API description read it here). */
export const VERSION = '0.1.0';
