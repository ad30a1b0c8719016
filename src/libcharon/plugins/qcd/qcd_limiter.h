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
 * @defgroup qcd_limiter qcd_limiter
 * @{ @ingroup qcd
 */

#ifndef QCD_LIMITER_H_
#define QCD_LIMITER_H_

#include <networking/host.h>

typedef struct qcd_limiter_t qcd_limiter_t;
typedef struct qcd_bucket_t qcd_bucket_t;

/**
 * A token bucket, tokens counted in thousandths and refilled per
 * millisecond.  Used by qcd_limiter_t, public for its unit tests.
 */
struct qcd_bucket_t {
	/** tokens left, times 1000 */
	uint64_t tokens;
	/** monotonic time of the last refill in ms, 0 if never used */
	uint64_t last;
};

/**
 * Monotonic time in ms, as buckets count it.
 *
 * @return				time, > 0, as 0 marks an unused bucket
 */
uint64_t qcd_bucket_now();

/**
 * Refill a bucket for the time passed since its last refill.
 *
 * A time before the last refill, which a caller that read the clock
 * before another one may pass, refills nothing and leaves the time of the
 * last refill as it is: a bucket can never be refilled twice for the same
 * interval, nor filled by an interval that wrapped around.
 *
 * @param bucket		bucket to refill
 * @param rate			tokens per second, 0 for no limit
 * @param burst			bucket size in tokens
 * @param now			monotonic time in ms, > 0
 * @return				TRUE if the bucket holds at least one token
 */
bool qcd_bucket_refill(qcd_bucket_t *bucket, u_int rate, u_int burst,
					   uint64_t now);

/**
 * Token buckets limiting what unauthenticated packets can trigger
 * (R8.1-3, R8.1-4, R9.3-2): one global bucket and one bucket per source
 * address.
 *
 * Source addresses are hashed, with a per-process random key, into a fixed
 * table of buckets, so memory stays constant whatever the number of
 * sources; addresses that collide share a bucket, which only makes the
 * limit stricter.  Thread-safe, no allocation after creation.
 */
struct qcd_limiter_t {

	/**
	 * Take one token from the global and the source's bucket.
	 *
	 * @param src		source address of the packet
	 * @return			TRUE if both buckets had a token
	 */
	bool (*allow)(qcd_limiter_t *this, host_t *src);

	/**
	 * Destroy the limiter.
	 */
	void (*destroy)(qcd_limiter_t *this);
};

/**
 * Create a limiter.  A rate of 0 disables that bucket.
 *
 * @param rate			global tokens per second
 * @param burst			global bucket size
 * @param source_rate	tokens per second and source address
 * @param source_burst	bucket size per source address
 * @return				limiter
 */
qcd_limiter_t *qcd_limiter_create(u_int rate, u_int burst, u_int source_rate,
								  u_int source_burst);

/**
 * Create a limiter from the settings <name>_rate, <name>_burst,
 * <name>_source_rate and <name>_source_burst of charon.plugins.qcd.
 * Defaults: 100, 200, 20 and 100.
 *
 * @param name			settings prefix, "reply" or "verify"
 * @return				limiter
 */
qcd_limiter_t *qcd_limiter_create_from_settings(char *name);

/**
 * Read an integer option of the plugin, refusing negative values, which as
 * unsigned would be huge.
 *
 * @param option		option below charon.plugins.qcd
 * @param def			default, also used for a negative value
 * @return				value
 */
u_int qcd_limiter_get_option(char *option, int def);

#endif /** QCD_LIMITER_H_ @}*/
