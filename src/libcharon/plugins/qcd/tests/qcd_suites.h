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

TEST_SUITE(secret_suite_create)
TEST_SUITE(token_suite_create)
TEST_SUITE(reply_suite_create)
TEST_SUITE(limiter_suite_create)
TEST_SUITE(store_suite_create)
TEST_SUITE(journal_suite_create)
TEST_SUITE(message_suite_create)
TEST_SUITE(verifier_suite_create)
TEST_SUITE(responder_suite_create)
TEST_SUITE(connect_manager_suite_create)
TEST_SUITE(listener_suite_create)
TEST_SUITE(plugin_suite_create)
TEST_SUITE(status_suite_create)
#ifdef QCD_INIT_RACE
TEST_SUITE(init_race_suite_create)
#endif
TEST_SUITE(stress_suite_create)
