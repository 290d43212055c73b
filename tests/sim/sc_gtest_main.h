// sc_gtest_main.h - main() for the tests of sim/: GoogleTest inside
// sc_main(), started through SystemC's sc_elab_and_sim() with SystemC's
// banner turned off. Include once per test executable.
#ifndef SMMUSIM_TESTS_SIM_SC_GTEST_MAIN_H
#define SMMUSIM_TESTS_SIM_SC_GTEST_MAIN_H

#include <gtest/gtest.h>

#include <cstdlib>

#include <systemc>

int sc_main(int argc, char **argv)
{
	::testing::InitGoogleTest(&argc, argv);
	return RUN_ALL_TESTS();
}

int main(int argc, char **argv)
{
	setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 1);
	return sc_core::sc_elab_and_sim(argc, argv);
}

#endif
