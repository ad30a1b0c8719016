/*
 * Copyright (C) 2026 strongswan-qcd authors
 *
 * This program is free software; you can redistribute it and/or modify it
 * under the terms of the GNU General Public License as published by the
 * Free Software Foundation; either version 2 of the License, or (at your
 * option) any later version.  See <http://www.fsf.org/copyleft/gpl.txt>.
 *
 * This program is distributed in the hope that it will be useful, but
 * WITHOUT ANY WARRANTY; without even the implied warranty of MERCHANTABILITY
 * or FITNESS FOR A PARTICULAR PURPOSE.  See the GNU General Public License
 * for more details.
 */

/**
 * @defgroup qcd_secret qcd_secret
 * @{ @ingroup qcd
 */

#ifndef QCD_SECRET_H_
#define QCD_SECRET_H_

#include <library.h>

/** Length of one QCD_SECRET, in bytes (R5.1-1) */
#define QCD_SECRET_LEN 32

/** Number of secret generations kept: the current one plus 3 old (R5.1-3) */
#define QCD_SECRET_GENERATIONS 4

typedef struct qcd_secret_t qcd_secret_t;

/**
 * The token maker's QCD_SECRETs, from a persistent credential file.
 *
 * File format, version 1 (all of it, nothing else, 8 + 32 * n bytes):
 *
 *   offset  size    field
 *   0       4       magic "QCDS"
 *   4       1       format version, 1
 *   5       1       n, number of generations, 1 to 4
 *   6       2       reserved, zero
 *   8       32 * n  secrets, current generation first
 *
 * The file must be a regular file owned by the user charon runs as, with no
 * access for group or others (R9.1-5).  A file that fails any check is
 * refused and never overwritten.
 */
struct qcd_secret_t {

	/**
	 * Number of generations held.
	 *
	 * @return			1 to QCD_SECRET_GENERATIONS
	 */
	int (*get_count)(qcd_secret_t *this);

	/**
	 * Get a generation of the secret.
	 *
	 * @param i			generation, 0 is the current one
	 * @return			secret (internal data), chunk_empty if none
	 */
	chunk_t (*get)(qcd_secret_t *this, int i);

	/**
	 * Short, non-secret fingerprint of the current secret for logs: the
	 * first 4 bytes of SHA-256 over it, in hex.
	 *
	 * @return			NUL-terminated fingerprint (internal data)
	 */
	char* (*get_fingerprint)(qcd_secret_t *this);

	/**
	 * Make a new current secret from RNG_TRUE and keep up to 3 previous
	 * ones, then replace the file atomically.
	 *
	 * @param path		file to write
	 * @return			TRUE if the new file is on disk
	 */
	bool (*rotate)(qcd_secret_t *this, char *path);

	/**
	 * Wipe the secrets and destroy the object.
	 */
	void (*destroy)(qcd_secret_t *this);
};

/**
 * Load the secret file, creating it with a fresh secret if it is missing.
 *
 * Errors are logged once, naming the file and the fix.
 *
 * @param path		path of the credential file
 * @param create	TRUE to create a missing file
 * @return			secret, NULL if the file is missing or was refused
 */
qcd_secret_t *qcd_secret_load(char *path, bool create);

#endif /** QCD_SECRET_H_ @}*/
