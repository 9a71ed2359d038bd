"""langchain's standard chat-model integration suite, ChatAnthropic pointed at the simulator.

Run by ``make test`` in its own environment (``tests/conformance/pyproject.toml``). The
capabilities switched off are those a text-and-tools model does not have or the simulator
does not speak (images, PDFs, audio, video), so every test that applies must pass.
"""

from __future__ import annotations

import os

from langchain_anthropic import ChatAnthropic
from langchain_tests.integration_tests import ChatModelIntegrationTests


class TestChatAnthropicOnSimulator(ChatModelIntegrationTests):
    @property
    def chat_model_class(self) -> type[ChatAnthropic]:
        return ChatAnthropic

    @property
    def chat_model_params(self) -> dict:
        return {
            "model": "claude-sonnet-5-5",
            "base_url": os.environ["ANTHROPIC_BASE_URL"],
            "api_key": "sim-placeholder-key",
            "max_tokens": 1024,
        }

    @property
    def model_override_value(self) -> str:
        return "claude-haiku-5-5"

    @property
    def supports_image_inputs(self) -> bool:
        return False

    @property
    def supports_image_urls(self) -> bool:
        return False

    @property
    def supports_pdf_inputs(self) -> bool:
        return False

    @property
    def supports_image_tool_message(self) -> bool:
        return False

    @property
    def supports_pdf_tool_message(self) -> bool:
        return False

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True
