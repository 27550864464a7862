"""What each symbol on the pages means, in one sentence a newcomer can read while hovering."""
from __future__ import annotations

GLOSSARY: dict[str, str] = {
    "ε": "the smoothing strength: the share of the target probability taken from the true class and spread "
         "over the classes",
    "q_t": "the smoothed target of the true class: 1 − ε + ε/K in PyTorch's convention, 1 − ε in the other",
    "q_o": "the smoothed target of each other class: ε/K in PyTorch's convention, ε/(K−1) in the other",
    "H(q)": "the entropy of the target vector q; the lowest loss a model can reach on a smoothed target",
    "logit gap": "the true class's logit minus another class's; one-hot training grows it without end, "
                 "smoothing's optimum is the finite log(q_t/q_o)",
    "‖∂L/∂z‖": "the size of the loss's gradient with respect to the logits z: how hard a point still pushes "
               "the network; one-hot's goes to 0 as p → 1",
    "NLL": "negative log-likelihood: −mean log p(true class) on held-out points; punishes confident mistakes "
           "hard",
    "ECE": "expected calibration error: |accuracy − confidence| per confidence bin, averaged with the bins' "
           "shares of points; 0 is perfectly calibrated",
    "MCE": "maximum calibration error: the largest |accuracy − confidence| over the confidence bins",
    "uncertain area": "the share of the view where the model's top probability is below 0.75: how blurred "
                      "the class boundaries are",
    "AURC": "area under the risk–coverage curve: the mean error rate when the least confident points are "
            "set aside, over every coverage; lower means confidence ranks right above wrong",
    "T": "temperature: logits are divided by T before the softmax; T > 1 softens the probabilities",
}


def terms_in(text: str) -> list[str]:
    """The glossary's symbols that `text` mentions, in glossary order."""
    return [term for term in GLOSSARY if term != "T" and term in text]
