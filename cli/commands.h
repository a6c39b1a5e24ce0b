// The attestctl subcommands. Each lives in its own file and is listed once in main.cc.
#pragma once

namespace attest::cli {

// A subcommand receives argv and the index of its first own argument.
using CommandFn = int (*)(int argc, char** argv, int first);

int RunVerifySnp(int argc, char** argv, int first);
int RunPolicyCheck(int argc, char** argv, int first);
int RunTokenVerify(int argc, char** argv, int first);
int RunVerifyTpm(int argc, char** argv, int first);
int RunEventlogReplay(int argc, char** argv, int first);
int RunVerifySevChain(int argc, char** argv, int first);
int RunSevMeasurement(int argc, char** argv, int first);
int RunSevSession(int argc, char** argv, int first);
int RunSigv4Sign(int argc, char** argv, int first);
int RunAuditVerify(int argc, char** argv, int first);
int RunVerifyTdx(int argc, char** argv, int first);
int RunVerifySgx(int argc, char** argv, int first);
int RunMeasureTdx(int argc, char** argv, int first);
int RunReasons(int argc, char** argv, int first);
int RunMeasure(int argc, char** argv, int first);
int RunCollateralFetch(int argc, char** argv, int first);

}  // namespace attest::cli
