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

#include "../qcd_tests.h"

#include <qcd_plugin.h>
#include <qcd_secret.h>

#include <daemon.h>
#include <sys/stat.h>
#include <unistd.h>

/** charon finds it with dlsym(), no header declares it */
plugin_t *qcd_plugin_create();

/**
 * Whether the plugin logged a line containing str since the last call
 */
static bool said(char *str)
{
	return qcd_tests_logged(str, TRUE) > 0;
}

START_TEST(test_reload)
{
	char *path, uri[128], sock[128];
	u_char known[8 + 32] = "QCDS\x01\x01";
	plugin_feature_t *features;
	plugin_t *plugin;
	struct stat st;
	int i;

	/* the status socket in our directory, not in /run */
	snprintf(sock, sizeof(sock), "%s", qcd_tests_path("charon.qcd"));
	snprintf(uri, sizeof(uri), "unix://%s", sock);
	path = qcd_tests_path("qcd.secret");
	qcd_tests_log_start();
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.secret_file", path,
						   lib->ns);
	/* no journal and push, see test_journal */
	lib->settings->set_bool(lib->settings, "%s.plugins.qcd.push", FALSE,
							lib->ns);
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.socket", uri,
						   lib->ns);
	plugin = qcd_plugin_create();
	ck_assert_int_ge(plugin->get_features(plugin, &features), 1);

	/* charon's first start creates the secret */
	qcd_tests_logged("", TRUE);
	ck_assert(features[0].arg.cb.f(plugin, &features[0], TRUE,
								   features[0].arg.cb.data));
	ck_assert(said("qcd: created secret file"));
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_int_eq(st.st_mode & 0777, 0600);
	/* and the status socket, as charon's vici socket */
	ck_assert_int_eq(stat(sock, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	/* 0770 up to strongSwan 6.0, 0660 since 6.1 */
	ck_assert_int_eq(st.st_mode & 0667, 0660);

	/* a reload with the file gone keeps the secret in memory and creates
	 * none: a new one would invalidate every token given out */
	unlink(path);
	ck_assert(!plugin->reload(plugin));
	ck_assert(said("keeping the previous secret"));
	ck_assert(access(path, F_OK) != 0);

	/* a reload with a refused file keeps it too, and leaves the file */
	qcd_tests_write(path, chunk_from_thing(known), 0644);
	ck_assert(!plugin->reload(plugin));
	ck_assert(said("keeping the previous secret"));

	/* a reload with a valid file (rotated, restored) takes it */
	for (i = 0; i < QCD_SECRET_LEN; i++)
	{
		known[8 + i] = i;
	}
	qcd_tests_write(path, chunk_from_thing(known), 0600);
	ck_assert(plugin->reload(plugin));
	ck_assert(said("fingerprint 630dcd29"));

	ck_assert(features[0].arg.cb.f(plugin, &features[0], FALSE,
								   features[0].arg.cb.data));
	plugin->destroy(plugin);
	qcd_tests_log_stop();
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.push", NULL,
						   lib->ns);
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.socket", NULL,
						   lib->ns);
	lib->settings->set_str(lib->settings, "%s.plugins.qcd.secret_file", NULL,
						   lib->ns);
}
END_TEST

Suite *plugin_suite_create()
{
	Suite *s;
	TCase *tc;

	s = suite_create("plugin");
	tc = tcase_create("reload");
	tcase_add_checked_fixture(tc, qcd_tests_tmpdir, qcd_tests_cleanup);
	tcase_add_test(tc, test_reload);
	suite_add_tcase(s, tc);
	return s;
}
